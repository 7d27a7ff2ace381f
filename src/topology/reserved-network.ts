import type { Problem } from '../errors/problem.js';
import { allNodes, type Grid } from './model.js';
import { settingPath } from './origin-path.js';
import { pathToString, positionOf, type SourceDocument } from './source.js';
import { printableJson } from '../text/printable-json.js';

/**
 * libvirt's own NAT network. gridops defines its grid network isolated, under the name written, so
 * naming this one would take it over (other VMs of the host lose their NAT), and hypervisor-off and
 * reset, which remove the grid network, would undefine it.
 */
const LIBVIRT_DEFAULT_NETWORK = 'default';

/**
 * Network names whose bridge (`gs-NAME`, resources/sandbox-names.ts) would carry the name of a
 * device the sandbox already has on every node: its tap (gs-sandbox) and the tap's ifb
 * (gs-sandbox-ifb, resources/sandbox-egress.ts). libvirt cannot make a bridge of a taken name, and
 * the ifb's removal (hypervisor-off, reset, `ip link del gs-sandbox-ifb`) would delete the live
 * grid bridge. The names are written out here because the topology layer sits below resources; a
 * resources test holds them to gridBridgeName, SANDBOX_TAP and ifbOf. Hashed bridge names
 * (`gs-` and 12 hex digits) cannot meet either.
 */
export const DEVICE_NAMED_NETWORKS: Readonly<Record<string, { bridge: string; device: string }>> = {
  sandbox: { bridge: 'gs-sandbox', device: 'tap, the host side of its NIC' },
  'sandbox-ifb': { bridge: 'gs-sandbox-ifb', device: 'ifb device, which holds its egress to qos.egressMbit' },
};

/** Why a network name cannot be the grid network's, or undefined when it can. */
function reservedReason(network: string): string | undefined {
  if (network === LIBVIRT_DEFAULT_NETWORK) return "that is libvirt's own NAT network, which gridops would redefine as the isolated grid network and remove with the sandbox";
  const named = Object.hasOwn(DEVICE_NAMED_NETWORKS, network) ? DEVICE_NAMED_NETWORKS[network] : undefined;
  if (named) return `its bridge ${named.bridge} is the name of the sandbox VM's own ${named.device}: libvirt could not make the bridge beside it, and removing that device would delete the bridge`;
  return undefined;
}

/** `hypervisor.sandbox.network: default` (or a name whose bridge is a sandbox device's, above), once per place it is written (defaults, region, sub-grid, node), as agentVersionProblems reports agent.version. */
export function reservedNetworkProblems(grid: Grid, source: SourceDocument): Problem[] {
  const problems: Problem[] = [];
  const reported = new Set<string>();
  for (const node of allNodes(grid)) {
    const origin = node.origins['hypervisor.sandbox.network'];
    const network = node.settings.hypervisor.sandbox.network;
    const reason = reservedReason(network);
    if (reason === undefined || origin === undefined || reported.has(origin)) continue;
    reported.add(origin);
    const path = settingPath(origin, 'hypervisor.sandbox.network');
    if (path === undefined) continue;
    problems.push({
      file: source.file,
      ...positionOf(source, path),
      path: pathToString(path),
      message: `hypervisor.sandbox.network cannot be ${printableJson(network)}: ${reason}`,
      hint: 'use a name of its own, such as grid-net (the default when the key is left out)',
    });
  }
  return problems;
}
