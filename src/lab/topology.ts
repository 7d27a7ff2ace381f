import type { LabPlan } from './types.js';

/** Agent port written into the lab topology. */
export const LAB_AGENT_PORT = 7946;

/** A YAML scalar: plain when it cannot be misread, a JSON (double-quoted) string otherwise. */
function scalar(value: string): string {
  return /^[A-Za-z0-9._\/-][A-Za-z0-9._\/:-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value) && !/^[0-9.]+$/.test(value)
    ? value
    : JSON.stringify(value);
}

/**
 * The gridops/v1 topology of a lab: R regions, S sub-grids, N nodes, with absolute paths to the
 * lab's client key and known_hosts so `gridops validate`/`apply` use strict host-key checking.
 */
/** The lab's sandbox VM: small enough for six of them under TCG on a 2-core machine. */
export const LAB_SANDBOX = { vcpus: 1, memoryMiB: 128, cpuShares: 512 } as const;

export function renderTopology(plan: LabPlan, files: { identity: string; knownHosts: string; sandboxImage?: string }, kindComment = true): string {
  const out: string[] = [];
  if (kindComment) out.push(`# Written by \`gridops lab up\` (kind ${plan.shape.kind}, ${plan.nodes.length} nodes). \`gridops lab down\` removes the lab.`);
  out.push('apiVersion: gridops/v1', 'kind: Grid', 'metadata: { name: lab }', 'defaults:');
  out.push(`  ssh: { user: root, port: 22, identityFile: ${scalar(files.identity)}, knownHosts: ${scalar(files.knownHosts)} }`);
  out.push(`  agent: { port: ${LAB_AGENT_PORT} }`);
  if (files.sandboxImage) out.push(`  hypervisor: { enabled: true, sandbox: { vcpus: ${LAB_SANDBOX.vcpus}, memoryMiB: ${LAB_SANDBOX.memoryMiB}, cpuShares: ${LAB_SANDBOX.cpuShares}, image: ${scalar(files.sandboxImage)} } }`);
  out.push('regions:');
  for (const region of plan.regions) {
    out.push(`  - name: ${region.name}`, `    regionPeerName: ${region.regionPeerName}`, '    subgrids:');
    for (const sgName of region.subgrids) {
      const sg = plan.subgrids.find((s) => s.name === sgName)!;
      out.push(`      - name: ${sg.name}`, `        discovery: { multicast: "${sg.multicast}" }`, '        nodes:');
      for (const nodeName of sg.nodes) {
        const node = plan.nodes.find((n) => n.name === nodeName)!;
        out.push(`          - { name: ${node.name}, address: ${node.address} }`);
      }
    }
  }
  return out.join('\n') + '\n';
}

/** known_hosts lines: each node's real host key under its address (port 22, so no brackets). */
export function renderKnownHosts(nodes: ReadonlyArray<{ address: string; hostKey?: string }>): string {
  return nodes
    .filter((n) => n.hostKey)
    .map((n) => `${n.address} ${n.hostKey!.trim().split(/\s+/).slice(0, 2).join(' ')}\n`)
    .join('');
}
