import { isIP } from 'node:net';
import type { Problem } from '../errors/problem.js';
import { namedFew } from '../named-few.js';
import { canonicalHost } from './formats.js';
import { allNodes, type Grid, type Node } from './model.js';
import { settingPath } from './origin-path.js';
import { pathToString, positionOf, type SourceDocument } from './source.js';

/**
 * `agent.httpAddress` is the address the agent's HTTP server binds on its node: loopback, a
 * wildcard (0.0.0.0, ::), or one of the node's addresses. Written on a node's own entry it is that
 * node's word (a management NIC beside the address SSH reaches, which cannot be known here).
 * Written above several nodes, any other address belongs to at most one of them, so the agents of
 * the others fail to bind and never start: reported once per place it is written, naming them.
 */
export function httpAddressProblems(grid: Grid, source: SourceDocument): Problem[] {
  const byOrigin = new Map<string, { address: string; inheritors: number; nodes: Node[] }>();
  const nodeAt = new Map(allNodes(grid).map((n) => [canonicalHost(n.address), n]));
  const ownProblems: Problem[] = [];
  for (const node of allNodes(grid)) {
    const address = node.settings.agent.httpAddress;
    const origin = node.origins['agent.httpAddress'];
    if (origin === undefined || bindsAnywhere(address)) continue;
    // A node's own entry is the only origin with `.nodes[` in it: the value is that node's alone,
    // unless it is another node's address (a copy-paste), which this node cannot bind.
    if (origin.includes('.nodes[')) {
      const owner = nodeAt.get(canonicalHost(address));
      const path = settingPath(origin, 'agent.httpAddress');
      if (owner && owner !== node && path) ownProblems.push({ file: source.file, ...positionOf(source, path), path: pathToString(path), message: `agent.httpAddress ${address} of ${node.name} is the address of ${owner.name}: ${node.name}'s agent could not bind it and would not start`, hint: `use one of ${node.name}'s own addresses, 127.0.0.1 (the default) or 0.0.0.0` });
      continue;
    }
    const entry = byOrigin.get(origin) ?? { address, inheritors: 0, nodes: [] };
    entry.inheritors++;
    if (canonicalHost(address) !== canonicalHost(node.address)) entry.nodes.push(node);
    byOrigin.set(origin, entry);
  }
  // Inherited by one node alone, it may be that node's other address as well.
  return [...ownProblems, ...[...byOrigin].filter(([, entry]) => entry.inheritors > 1 && entry.nodes.length).flatMap(([origin, { address, nodes }]) => {
    const path = settingPath(origin, 'agent.httpAddress');
    if (path === undefined) return [];
    return [{
      file: source.file,
      ...positionOf(source, path),
      path: pathToString(path),
      message: `agent.httpAddress ${address} is not the address of ${namedFew(nodes.map((n) => n.name))}, whose agents could not bind it and would not start`,
      hint: "use 127.0.0.1 (the default), 0.0.0.0 or :: for every address, or set it on each node to that node's own address",
    }];
  })];
}

/** Loopback (127.0.0.0/8, ::1) or a wildcard: an address every node has. */
function bindsAnywhere(address: string): boolean {
  const canonical = canonicalHost(address);
  return canonical === '0.0.0.0' || canonical === '::' || canonical === '::1' || (isIP(canonical) === 4 && canonical.startsWith('127.'));
}
