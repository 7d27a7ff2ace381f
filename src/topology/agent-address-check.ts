import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import type { Problem } from '../errors/problem.js';
import type { Grid } from './model.js';
import { topologyText } from './file-text.js';
import { parseSource, pathToString, positionOf, type PathSegment } from './source.js';
import { printableJson } from '../text/printable-json.js';

/**
 * Nodes whose address is an IPv6 address, for a run that deploys gridagent on them. The agent
 * binds its overlay sockets to the node's address and speaks IPv4 only (udp4, IPv4 multicast), so
 * on such a node it could not start; ssh itself reaches IPv6 and DNS names, so an ad-hoc run
 * without the agent keeps them. A DNS name is fine: the agent resolves it on the node (bind-address.ts).
 * Each problem is at the address as written (the file is read again only when there is one).
 */
export function agentAddressProblems(grid: Grid): Problem[] {
  const refused: Array<{ path: PathSegment[]; name: string; address: string }> = [];
  grid.regions.forEach((region, ri) =>
    region.subgrids.forEach((subgrid, si) =>
      subgrid.nodes.forEach((node, ni) => {
        if (isIPv6(node.address.split('%')[0]!)) refused.push({ path: ['regions', ri, 'subgrids', si, 'nodes', ni, 'address'], name: node.name, address: node.address });
      }),
    ),
  );
  if (refused.length === 0) return [];
  const { source } = parseSource(grid.file, topologyText(readFileSync(grid.file)));
  return refused.map(({ path, name, address }) => ({
    file: grid.file,
    ...positionOf(source, path),
    path: pathToString(path),
    message: `node ${name}'s address ${printableJson(address)} is an IPv6 address, and gridagent, which the grid's workflow runs on every node, speaks IPv4 only (it binds its overlay sockets to the node's address)`,
    hint: "write the node's IPv4 address, or a DNS name that resolves to it on the node; an IPv6 address serves only ad-hoc runs (--playbook) that do not run the agent playbook",
  }));
}
