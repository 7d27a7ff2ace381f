import type { Problem } from '../errors/problem.js';
import { allNodes, type Grid } from './model.js';
import { settingPath } from './origin-path.js';
import { pathToString, positionOf, type SourceDocument } from './source.js';

/**
 * libvirt's own NAT network. gridops defines its grid network isolated, under the name written, so
 * naming this one would take it over (other VMs of the host lose their NAT), and hypervisor-off and
 * reset, which remove the grid network, would undefine it.
 */
const LIBVIRT_DEFAULT_NETWORK = 'default';

/** `hypervisor.sandbox.network: default`, once per place it is written (defaults, region, sub-grid, node), as agentVersionProblems reports agent.version. */
export function reservedNetworkProblems(grid: Grid, source: SourceDocument): Problem[] {
  const problems: Problem[] = [];
  const reported = new Set<string>();
  for (const node of allNodes(grid)) {
    const origin = node.origins['hypervisor.sandbox.network'];
    if (node.settings.hypervisor.sandbox.network !== LIBVIRT_DEFAULT_NETWORK || origin === undefined || reported.has(origin)) continue;
    reported.add(origin);
    const path = settingPath(origin, 'hypervisor.sandbox.network');
    if (path === undefined) continue;
    problems.push({
      file: source.file,
      ...positionOf(source, path),
      path: pathToString(path),
      message: "hypervisor.sandbox.network cannot be \"default\": that is libvirt's own NAT network, which gridops would redefine as the isolated grid network and remove with the sandbox",
      hint: 'use a name of its own, such as grid-net (the default when the key is left out)',
    });
  }
  return problems;
}
