import { closest } from 'fastest-levenshtein';
import picomatch from 'picomatch';
import { UnknownSelectorError } from '../errors/index.js';
import { closestName } from './closest-name.js';
import { allNodes, type Grid, type Node } from './model.js';
import { printableJson } from '../text/printable-json.js';

/**
 * `--limit`, as Ansible's host patterns: a comma-separated list of selectors, each one of
 *   NAME            a node, a sub-grid (names are unique in the grid) or a region
 *   REGION/SUBGRID  one sub-grid
 *   GLOB            `*`, `?`, `[..]`, `{a,b}` over node, sub-grid and region names (and REGION/SUBGRID)
 *   label:KEY=VALUE nodes whose label KEY has VALUE (VALUE may be a glob); label:KEY: nodes that have KEY
 * The listed selectors add up; one written `&SEL` keeps only nodes it also selects, `!SEL` removes
 * what it selects (only exclusions: every node but those). Pure: the grid in, nodes out.
 */
export interface Selection {
  /** Selected nodes, in file order. */
  nodes: Node[];
  /** What each selector matched, by name, for messages and --json. */
  matched: Record<string, string[]>;
}

const GLOB = /[*?[\]{}]/;

/** Splits `--limit` values (one per flag given) into selectors, on commas outside glob braces (`n{1,2}`). */
export function parseLimit(limit: string | readonly string[]): string[] {
  const split = (value: string) => {
    const parts: string[] = [];
    let depth = 0;
    let current = '';
    for (const ch of value) {
      if (ch === '{') depth++;
      if (ch === '}') depth = Math.max(0, depth - 1);
      if (ch === ',' && depth === 0) {
        parts.push(current);
        current = '';
      } else current += ch;
    }
    return [...parts, current];
  };
  return (typeof limit === 'string' ? [limit] : limit).flatMap(split).map((s) => s.trim()).filter((s) => s.length > 0);
}

function nodesOf(grid: Grid, selector: string): Node[] | undefined {
  const nodes = allNodes(grid);
  if (selector.startsWith('label:')) {
    const [key, value] = splitOnce(selector.slice('label:'.length), '=');
    if (!key) return undefined;
    const valueMatches = value === undefined ? () => true : GLOB.test(value) ? picomatch(value, { dot: true }) : (v: string) => v === value;
    // Own keys only: `in` also finds what every object inherits, so label:constructor would select every node.
    return nodes.filter((n) => Object.hasOwn(n.labels, key) && valueMatches(n.labels[key]!));
  }
  if (GLOB.test(selector)) {
    const matches = picomatch(selector, { dot: true });
    return nodes.filter((n) => matches(n.name) || matches(n.subgrid) || matches(n.region) || matches(`${n.region}/${n.subgrid}`));
  }
  if (selector.includes('/')) {
    const [region, subgrid] = splitOnce(selector, '/');
    return nodes.filter((n) => n.region === region && n.subgrid === subgrid);
  }
  return nodes.filter((n) => n.name === selector || n.subgrid === selector || n.region === selector);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const i = text.indexOf(separator);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

/** The names a mistyped selector may have meant: nodes, sub-grids, regions, REGION/SUBGRID, label:KEY. */
function candidates(grid: Grid): string[] {
  const nodes = allNodes(grid);
  return [
    ...nodes.map((n) => n.name),
    ...grid.regions.flatMap((r) => [r.name, ...r.subgrids.flatMap((s) => [s.name, `${r.name}/${s.name}`])]),
    ...new Set(nodes.flatMap((n) => Object.entries(n.labels).flatMap(([k, v]) => [`label:${k}`, `label:${k}=${v}`]))),
  ];
}

function unknown(grid: Grid, selector: string): UnknownSelectorError {
  const bare = selector.replace(/^[!&]/, '');
  // label:KEY=VALUE with a known KEY: suggest among that key's values, not among every name.
  const [key, value] = splitOnce(bare.slice('label:'.length), '=');
  const values = bare.startsWith('label:') && value !== undefined ? [...new Set(allNodes(grid).flatMap((n) => (Object.hasOwn(n.labels, key) ? [`label:${key}=${n.labels[key]}`] : [])))] : [];
  // Among a known key's values the closest is always worth naming; among every name, only a near one.
  const best = values.length ? closest(bare, values) : closestName(bare, candidates(grid));
  return new UnknownSelectorError(
    `--limit ${printableJson(selector)} matches no node of grid ${grid.name}`,
    `${best !== undefined ? `did you mean ${printableJson(`${selector.slice(0, selector.length - bare.length)}${best}`)}? ` : ''}select by node, sub-grid or region name, REGION/SUBGRID, a glob (web-*), label:KEY=VALUE or label:KEY; \`gridops state list\` lists the nodes`,
  );
}

/**
 * The selectors of a `--limit` that was given: one holding none (`--limit "$NODE"` with NODE unset,
 * `--limit ' , '`) is a usage error, never "every node", which only leaving --limit out means.
 */
export function limitSelectors(limit: string | readonly string[]): string[] {
  const selectors = parseLimit(limit);
  if (!selectors.length) throw new UnknownSelectorError('--limit is empty', 'name the nodes to work on, e.g. --limit n1,n2 or --limit REGION/SUBGRID; leave --limit out for every node');
  return selectors;
}

/** The nodes `--limit` selects; a selector that matches nothing is an error with a suggestion. */
export function selectNodes(grid: Grid, limit: string | readonly string[]): Selection {
  const selectors = limitSelectors(limit);
  const matched: Record<string, string[]> = {};
  const resolve = (selector: string): Set<string> => {
    const found = nodesOf(grid, selector.replace(/^[!&]/, ''));
    if (!found?.length) throw unknown(grid, selector);
    matched[selector] = found.map((n) => n.name);
    return new Set(matched[selector]);
  };
  const plain = selectors.filter((s) => !/^[!&]/.test(s));
  const intersections = selectors.filter((s) => s.startsWith('&'));
  const exclusions = selectors.filter((s) => s.startsWith('!'));
  const all = allNodes(grid);
  let chosen = plain.length ? new Set(plain.flatMap((s) => [...resolve(s)])) : new Set(all.map((n) => n.name));
  for (const s of intersections) {
    const keep = resolve(s);
    chosen = new Set([...chosen].filter((n) => keep.has(n)));
  }
  for (const s of exclusions) for (const n of resolve(s)) chosen.delete(n);
  if (!chosen.size) throw new UnknownSelectorError(`--limit ${printableJson(selectors.join(','))} leaves no node of grid ${grid.name}`, 'each selector matches nodes, but together they exclude them all: check the & and ! selectors');
  return { nodes: all.filter((n) => chosen.has(n.name)), matched };
}
