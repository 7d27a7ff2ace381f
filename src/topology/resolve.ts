import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { BUILTIN_DEFAULTS, DEFAULT_MULTICAST_PORT, DEFAULT_ROLLOUT } from './builtin-defaults.js';
import { parseDuration } from './formats.js';
import { moduleKey, sysctlFileKey } from './kernel-names.js';
import type { EffectiveSettings, Grid, Node, Origin, Position, Region, Rollout, Subgrid } from './model.js';
import type { RawTopology, Settings } from './schema.js';
import { SETTING_GROUPS } from './setting-groups.js';
import { positionOf, type PathSegment, type SourceDocument } from './source.js';

/**
 * Normalises a schema-valid raw topology into the resolved Grid: settings inherit
 * grid defaults > region > sub-grid > node, each level winning over the ones above it.
 * Mappings merge key by key; lists (kernel.modules) are replaced as a whole. `unsound` names the
 * nodes and playbook entries to leave out, for a topology with problems (sound-part.ts).
 */
export function resolveTopology(raw: RawTopology, source: SourceDocument, fileBytes: string | Uint8Array, unsound?: (path: readonly PathSegment[]) => boolean): Grid {
  const pos = (path: PathSegment[]): Position => ({ file: source.file, ...positionOf(source, path) });
  const base = layer(structuredClone(BUILTIN_DEFAULTS) as unknown as Tree, {}, undefined, 'built-in');
  const gridLevel = layer(base.values, base.origins, raw.defaults, 'defaults');

  const regions: Region[] = raw.regions.map((rawRegion, ri) => {
    const regionPath = `regions[${ri}]`;
    const regionLevel = layer(gridLevel.values, gridLevel.origins, pickSettings(rawRegion), regionPath);
    const subgrids: Subgrid[] = rawRegion.subgrids.map((rawSubgrid, si) => {
      const subgridPath = `${regionPath}.subgrids[${si}]`;
      const subgridLevel = layer(regionLevel.values, regionLevel.origins, pickSettings(rawSubgrid), subgridPath);
      const nodes: Node[] = rawSubgrid.nodes.flatMap((rawNode, ni) => {
        if (unsound?.(['regions', ri, 'subgrids', si, 'nodes', ni])) return [];
        const nodePath = `${subgridPath}.nodes[${ni}]`;
        const nodeLevel = layer(subgridLevel.values, subgridLevel.origins, pickSettings(rawNode), nodePath);
        const settings = toEffective(nodeLevel.values, nodeLevel.origins, dirname(source.file));
        return [{
          name: rawNode.name,
          address: rawNode.address,
          labels: { ...(rawNode.labels ?? {}) },
          superPeer: rawNode.superPeer ?? 'auto',
          region: rawRegion.name,
          subgrid: rawSubgrid.name,
          settings,
          origins: nodeLevel.origins,
          position: pos(['regions', ri, 'subgrids', si, 'nodes', ni]),
        }];
      });
      return {
        name: rawSubgrid.name,
        region: rawRegion.name,
        multicast: parseMulticast(rawSubgrid.discovery?.multicast) ?? derivedMulticast(rawRegion.name, rawSubgrid.name),
        seeds: [...(rawSubgrid.discovery?.seeds ?? [])],
        nodes,
        position: pos(['regions', ri, 'subgrids', si]),
      };
    });
    return {
      name: rawRegion.name,
      regionPeerName: rawRegion.regionPeerName ?? `region.${rawRegion.name}.${raw.metadata.name}.grid.internal`,
      subgrids,
      position: pos(['regions', ri]),
    };
  });

  return {
    name: raw.metadata.name,
    labels: { ...(raw.metadata.labels ?? {}) },
    file: source.file,
    sourceHash: createHash('sha256').update(fileBytes).digest('hex'),
    regions,
    rollout: resolveRollout(raw.rollout),
    // As written: what a reference names depends on the files beside the topology, not on its bytes (model.ts).
    playbooks: (raw.playbooks ?? []).flatMap((ref, i) => (unsound?.(['playbooks', i]) ? [] : [{ ref, position: pos(['playbooks', i]) }])),
  };
}

type Tree = { [key: string]: unknown };

function pickSettings(level: Settings): Settings {
  const picked: Settings = {};
  for (const group of SETTING_GROUPS) if (level[group] !== undefined) (picked as Tree)[group] = level[group];
  return picked;
}

function isPlainObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasExplicit(origins: Record<string, Origin>, key: string): boolean {
  return origins[key] !== undefined && origins[key] !== 'built-in';
}

/**
 * The mappings whose keys the kernel reads in more than one spelling, each with the form two
 * spellings of one name share: a level below that writes the other spelling of an inherited key
 * overrides it, as it would the same spelling (kvm-intel on a node over kvm_intel in defaults).
 */
const SPELLED_KEYS: Record<string, (key: string) => string> = { 'kernel.params': moduleKey, 'kernel.sysctl': sysctlFileKey };

/**
 * Sets an own property: `tree[key] = value` with a key from the file (`__proto__`) would set the
 * object's prototype, or through it Object.prototype, instead of a value.
 */
function setOwn(tree: Tree, key: string, value: unknown): void {
  Object.defineProperty(tree, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Applies one level over the inherited values, recording for each leaf which level set it. */
function layer(inherited: Tree, inheritedOrigins: Record<string, Origin>, level: Settings | undefined, origin: Origin): { values: Tree; origins: Record<string, Origin> } {
  const values = structuredClone(inherited);
  const origins: Record<string, Origin> = Object.assign(Object.create(null) as Record<string, Origin>, inheritedOrigins);
  const walk = (target: Tree, overlay: Tree, prefix: string) => {
    const spelling = SPELLED_KEYS[prefix];
    for (const [key, value] of Object.entries(overlay)) {
      if (value === undefined) continue;
      const dotted = prefix ? `${prefix}.${key}` : key;
      if (spelling) respell(target, key, spelling, prefix);
      // Only the target's own keys: an inherited member (`constructor`) is no value of the file's.
      const current = Object.hasOwn(target, key) ? target[key] : undefined;
      if (isPlainObject(value)) {
        const child = isPlainObject(current) ? current : {};
        setOwn(target, key, child);
        walk(child, value, dotted);
      } else {
        setOwn(target, key, Array.isArray(value) ? [...value] : value);
        origins[dotted] = origin;
      }
    }
  };
  /** Renames an inherited key spelled otherwise than `key` (and its leaves' origins) to `key`, so the level's value merges over it. */
  const respell = (target: Tree, key: string, spelling: (key: string) => string, prefix: string) => {
    const other = Object.keys(target).find((k) => k !== key && spelling(k) === spelling(key));
    if (other === undefined) return;
    setOwn(target, key, target[other]);
    delete target[other];
    const from = `${prefix}.${other}`;
    for (const path of Object.keys(origins)) {
      if (path !== from && !path.startsWith(`${from}.`)) continue;
      origins[`${prefix}.${key}${path.slice(from.length)}`] = origins[path]!;
      delete origins[path];
    }
  };
  if (level) walk(values, level as Tree, '');
  // The first call has no level: record every built-in leaf so origins are complete.
  if (origin === 'built-in') recordLeaves(values, '', origins, origin);
  return { values, origins };
}

function recordLeaves(tree: Tree, prefix: string, origins: Record<string, Origin>, origin: Origin): void {
  for (const [key, value] of Object.entries(tree)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && Object.keys(value).length > 0) recordLeaves(value, dotted, origins, origin);
    else origins[dotted] = origin;
  }
}

export function parseMulticast(value: string | undefined): { group: string; port: number } | undefined {
  if (!value) return undefined;
  const i = value.lastIndexOf(':');
  return { group: value.slice(0, i), port: Number(value.slice(i + 1)) };
}

/**
 * A stable group in 239.192.0.0/14 derived from the sub-grid's identity, so adding or
 * reordering sub-grids never moves another one's group. Collisions are reported by validation.
 */
export function derivedMulticast(region: string, subgrid: string): { group: string; port: number } {
  const digest = createHash('sha256').update(`${region}/${subgrid}`).digest();
  const n = digest.readUInt32BE(0) & 0x3ffff; // 18 bits for 239.192.0.0/14
  const b2 = 192 + (n >> 16);
  const b3 = (n >> 8) & 0xff;
  const b4 = Math.max(1, n & 0xff);
  return { group: `239.${b2}.${b3}.${b4}`, port: DEFAULT_MULTICAST_PORT };
}

function resolveRollout(raw: RawTopology['rollout']): Rollout {
  const maxUnavailable = raw?.maxUnavailable;
  return {
    maxUnavailable:
      maxUnavailable === undefined
        ? DEFAULT_ROLLOUT.maxUnavailable
        : typeof maxUnavailable === 'number'
          ? { count: maxUnavailable }
          : { percent: Number(maxUnavailable.replace('%', '')) },
    healthTimeoutMs: raw?.healthTimeout ? parseDuration(raw.healthTimeout) : DEFAULT_ROLLOUT.healthTimeoutMs,
  };
}

/** Turns merged raw values into the model's units: durations in ms, become derived from the user. */
function toEffective(values: Tree, origins: Record<string, Origin>, topologyDir: string): EffectiveSettings {
  const settings = values as unknown as EffectiveSettings;
  // The image and the grid key are files on the operator's machine: relative to the topology file,
  // like a path in a Makefile, not to wherever gridops runs (from elsewhere, a relative key file
  // would otherwise be a new key, pushed to every node, restarting every agent).
  const local = (path: string) => (path.startsWith('~/') ? join(homedir(), path.slice(2)) : isAbsolute(path) ? path : resolvePath(topologyDir, path));
  const image = settings.hypervisor.sandbox.image;
  if (image !== undefined) settings.hypervisor.sandbox.image = local(image);
  const keyFile = settings.agent.keyFile;
  if (keyFile !== undefined) settings.agent.keyFile = local(keyFile);
  const ssh = settings.ssh as EffectiveSettings['ssh'] & { connectTimeout?: string };
  // The SSH key and known_hosts the topology names are beside it too (a relative path read from the
  // current directory reached hosts with whatever key and known_hosts were there). A `~` path is
  // left for the transport to expand (expandHome), as the built-in ~/.ssh/known_hosts is.
  const besideTopology = (path: string) => (path.startsWith('~') || isAbsolute(path) ? path : resolvePath(topologyDir, path));
  if (ssh.identityFile !== undefined) ssh.identityFile = besideTopology(ssh.identityFile);
  ssh.knownHosts = besideTopology(ssh.knownHosts);
  if (ssh.connectTimeout !== undefined) {
    ssh.connectTimeoutMs = parseDuration(ssh.connectTimeout);
    delete ssh.connectTimeout;
  }
  if (!hasExplicit(origins, 'ssh.become')) ssh.become = ssh.user !== 'root';
  return settings;
}
