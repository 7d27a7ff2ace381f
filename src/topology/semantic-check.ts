import type { Problem } from '../errors/problem.js';
import { canonicalHost } from './formats.js';
import { printableJson } from '../text/printable-json.js';
import { printableText } from '../text/printable-text.js';
import { derivedMulticast, parseMulticast } from './resolve.js';
import { aliasOnPath, pathToString, positionOf, sameNode, type PathSegment, type SourceDocument } from './source.js';

/** The entry that used a value first: who (a node's name, where known) and where. */
interface FirstUse {
  owner?: string;
  line: number;
  column: number;
}

/** What to do about a value two entries share, by the space it must be unique in. */
const DUPLICATE_HINT: Record<string, (first: FirstUse) => string> = {
  name: () => 'names of regions, sub-grids and nodes must be unique across the whole grid; rename one of them',
  // An address is not renamed: one node is given another, and the node that has it already is named, since addresses compare canonically and may be written differently.
  address: (first) => `node addresses must be unique across the whole grid (compared canonically: fd00::12 is fd00:0:0::12); change one node's address (first used by ${first.owner === undefined ? 'a node' : printableText(first.owner)} at ${first.line}:${first.column})`,
  // A group is not renamed: one sub-grid is given another (a derived one is set explicitly).
  multicast: () => "multicast groups must be unique across the whole grid, or two sub-grids' agents hear each other's discovery: give one of the sub-grids another group in discovery.multicast (GROUP:PORT, e.g. in 239.192.0.0/14)",
};

/**
 * Checks that need the whole grid at once: uniqueness across the grid (names of every kind in one
 * space, addresses in canonical form, region peer names as each region gets it), sub-grids that could
 * never elect a super peer, multicast groups shared by two sub-grids. Runs on a schema-valid raw topology.
 */
export function semanticProblems(value: unknown, source: SourceDocument): Problem[] {
  // Runs even when the schema found problems, so every problem is reported in one pass:
  // anything not shaped as expected is skipped here (the schema check already reported it).
  const raw = tolerant(value);
  const problems: Problem[] = [];
  const report = (path: PathSegment[], message: string, hint: string, key = false) =>
    problems.push({ file: source.file, ...positionOf(source, path, { key }), path: pathToString(path), message, hint });

  const firstSeen = new Map<string, { path: PathSegment[]; what: string; owner?: string }>();
  /**
   * A value met twice because an alias repeats the entry that holds it (`- *n1` in a second
   * sub-grid): one mistake, at the alias, however many of the entry's unique values it repeats.
   * Without this it was reported at the anchored value, "already used" at that same place.
   */
  const aliasesReported = new Set<string>();
  const repeatedByAlias = (path: PathSegment[], what: string, shown: string) => {
    const alias = aliasOnPath(source, path);
    if (!alias) return;
    const key = `${alias.at.line}:${alias.at.column}`;
    if (aliasesReported.has(key)) return;
    aliasesReported.add(key);
    problems.push({
      file: source.file,
      ...alias.at,
      path: pathToString(path),
      message: `duplicate ${what} ${printableJson(shown)}: alias *${alias.name} repeats the entry anchored at ${alias.anchored.line}:${alias.anchored.column}`,
      hint: 'an entry of the grid (a region, sub-grid or node) appears once: remove this alias, or write an entry of its own here; an alias can repeat settings (ssh, qos), not a whole entry',
    });
  };
  /**
   * `space` groups values that must differ: one space holds region, sub-grid and node names alike.
   * `owner` names the entry the value belongs to, for a hint that says which one has it already.
   */
  const unique = (space: string, value: string, path: PathSegment[], what: string, shown = value, owner?: string) => {
    const id = `${space}\0${value}`;
    const earlier = firstSeen.get(id);
    if (earlier && sameNode(source, earlier.path, path)) {
      repeatedByAlias(path, what, shown);
    } else if (earlier) {
      const at = positionOf(source, earlier.path);
      const by = earlier.what === what ? '' : ` by ${earlier.what.replace(/ name$/, '')}`;
      const hint = DUPLICATE_HINT[space]?.({ owner: earlier.owner, ...at }) ?? `${what}s must be unique across the whole grid; rename one of them`;
      report(path, `duplicate ${what} ${printableJson(shown)}, already used${by} at ${at.line}:${at.column}`, hint);
    } else {
      firstSeen.set(id, { path, what, owner });
    }
  };

  // A region's peer name is its regionPeerName, else the default the resolver gives it (resolve.ts):
  // an explicit one may take another region's default, which two explicit names alone never show.
  const peerNames = new Map<string, { path: PathSegment[]; region: string; explicit: boolean }>();
  const regionPeerName = (region: LooseRegion, regionPath: PathSegment[]) => {
    const explicit = region.regionPeerName !== undefined;
    const name = region.regionPeerName ?? (region.name && raw.gridName ? `region.${region.name}.${raw.gridName}.grid.internal` : undefined);
    if (!name) return;
    const path = [...regionPath, explicit ? 'regionPeerName' : 'name'];
    const shownRegion = printableJson(region.name ?? pathToString(regionPath))!;
    const earlier = peerNames.get(canonicalHost(name));
    if (!earlier) {
      peerNames.set(canonicalHost(name), { path, region: shownRegion, explicit });
      return;
    }
    // Two defaults are the same name only where the region names are: that duplicate is reported already.
    if (!explicit && !earlier.explicit) return;
    const at = positionOf(source, earlier.path);
    const where = `${at.line}:${at.column}`;
    if (explicit && earlier.explicit) report(path, `duplicate region peer name ${printableJson(name)}, already used at ${where}`, 'region peer names must be unique across the whole grid; change one of them');
    else if (explicit) report(path, `duplicate region peer name ${printableJson(name)}, already the default of region ${earlier.region} (${where})`, `region ${earlier.region} has no regionPeerName, so it gets ${printableText(name)}: set another regionPeerName here, or give region ${earlier.region} one of its own`);
    else report(path, `region ${shownRegion} gets the default region peer name ${printableJson(name)}, which region ${earlier.region} already sets at ${where}`, `give region ${shownRegion} a regionPeerName of its own, or change the one at ${where}`);
  };

  if (Array.isArray((value as { regions?: unknown })?.regions) && raw.regions.length === 0) report(['regions'], 'the grid has no region', 'add at least one region with a sub-grid and a node; see examples/small.yaml');

  raw.regions.forEach((region, ri) => {
    const regionPath: PathSegment[] = ['regions', ri];
    if (region.name) unique('name', region.name, [...regionPath, 'name'], 'region name');
    regionPeerName(region, regionPath);
    if (region.subgrids.length === 0) report([...regionPath, 'subgrids'], `region ${region.name ? printableJson(region.name) : pathToString(regionPath)} has no sub-grid`, 'add a sub-grid with at least one node, or remove the region');

    region.subgrids.forEach((subgrid, si) => {
      const subgridPath: PathSegment[] = [...regionPath, 'subgrids', si];
      if (subgrid.name) unique('name', subgrid.name, [...subgridPath, 'name'], 'sub-grid name');
      const multicast = parseMulticast(subgrid.discovery?.multicast) ?? derivedMulticast(region.name ?? '', subgrid.name ?? '');
      const multicastPath = subgrid.discovery?.multicast ? [...subgridPath, 'discovery', 'multicast'] : [...subgridPath, 'name'];
      unique('multicast', `${multicast.group}:${multicast.port}`, multicastPath, 'multicast group');

      if (!subgrid.nodesIsList) {
        // the schema check reported the wrong type
      } else if (subgrid.nodes.length === 0) {
        report([...subgridPath, 'nodes'], `sub-grid ${subgrid.name ? printableJson(subgrid.name) : pathToString(subgridPath)} has no node`, 'add at least one node; a sub-grid needs a machine to be its super peer');
      } else if (subgrid.nodes.every((n) => n.superPeer === 'never')) {
        report([...subgridPath, 'nodes'], `every node of sub-grid ${subgrid.name ? printableJson(subgrid.name) : pathToString(subgridPath)} says superPeer: never, so none can be its super peer`, 'let at least one node stand: remove `superPeer: never` from one, or set it to prefer');
      }
      subgrid.nodes.forEach((node, ni) => {
        const nodePath: PathSegment[] = [...subgridPath, 'nodes', ni];
        if (node.name) unique('name', node.name, [...nodePath, 'name'], 'node name');
        // Compared canonically: fd00::12 and fd00:0:0::12 are one host.
        if (node.address) unique('address', canonicalHost(node.address), [...nodePath, 'address'], 'node address', node.address, node.name ?? pathToString(nodePath));
      });
    });
  });
  return problems;
}

interface LooseNode { name?: string; address?: string; superPeer?: string }
interface LooseSubgrid { name?: string; discovery?: { multicast?: string }; nodes: LooseNode[]; nodesIsList: boolean }
interface LooseRegion { name?: string; regionPeerName?: string; subgrids: LooseSubgrid[] }

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** A view of an unchecked document with only the fields this check reads, each of the right type or absent. */
function tolerant(value: unknown): { gridName?: string; regions: LooseRegion[] } {
  return {
    gridName: str(obj(obj(value).metadata).name),
    regions: list(obj(value).regions).map((r) => ({
      name: str(obj(r).name),
      regionPeerName: str(obj(r).regionPeerName),
      subgrids: list(obj(r).subgrids).map((sg) => ({
        name: str(obj(sg).name),
        discovery: { multicast: str(obj(obj(sg).discovery).multicast) },
        nodesIsList: Array.isArray(obj(sg).nodes),
        nodes: list(obj(sg).nodes).map((n) => ({ name: str(obj(n).name), address: str(obj(n).address), superPeer: str(obj(n).superPeer) })),
      })),
    })),
  };
}
