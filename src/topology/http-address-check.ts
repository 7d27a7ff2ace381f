import { isIP } from 'node:net';
import type { Problem } from '../errors/problem.js';
import { namedFew } from '../named-few.js';
import { canonicalHost } from './formats.js';
import { allNodes, type Grid, type Node } from './model.js';
import { settingPath } from './origin-path.js';
import { pathToString, positionOf, type SourceDocument } from './source.js';

/**
 * `agent.httpAddress` is the address the agent's HTTP server binds on its node: loopback, a
 * wildcard (0.0.0.0, ::), or the node's own address. Any other address belongs to at most one
 * host, so the agents of the other nodes that inherit it fail to bind and never start. Reported
 * once per place it is written, naming those nodes. A node addressed by DNS name may write its
 * own IP, which cannot be compared here; written above several nodes, it cannot be theirs.
 */
export function httpAddressProblems(grid: Grid, source: SourceDocument): Problem[] {
  const byOrigin = new Map<string, { address: string; nodes: Node[] }>();
  for (const node of allNodes(grid)) {
    const address = node.settings.agent.httpAddress;
    const origin = node.origins['agent.httpAddress'];
    if (origin === undefined || bindsAnywhere(address) || canonicalHost(address) === canonicalHost(node.address)) continue;
    // A node's own entry is the only origin with `.nodes[` in it: the value is that node's alone.
    if (!isIP(node.address) && origin.includes('.nodes[')) continue;
    const entry = byOrigin.get(origin) ?? { address, nodes: [] };
    entry.nodes.push(node);
    byOrigin.set(origin, entry);
  }
  return [...byOrigin].flatMap(([origin, { address, nodes }]) => {
    const path = settingPath(origin, 'agent.httpAddress');
    if (path === undefined) return [];
    return [{
      file: source.file,
      ...positionOf(source, path),
      path: pathToString(path),
      message: `agent.httpAddress ${address} is not the address of ${namedFew(nodes.map((n) => n.name))}, whose agents could not bind it and would not start`,
      hint: "use 127.0.0.1 (the default), 0.0.0.0 or :: for every address, or set it on each node to that node's own address",
    }];
  });
}

/** Loopback (127.0.0.0/8, ::1) or a wildcard: an address every node has. */
function bindsAnywhere(address: string): boolean {
  const canonical = canonicalHost(address);
  return canonical === '0.0.0.0' || canonical === '::' || canonical === '::1' || (isIP(canonical) === 4 && canonical.startsWith('127.'));
}
