import { execFileSync } from 'node:child_process';
import { readScript } from '../../src/engine/read-script.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { checkTopologyText } from '../../src/topology/load.js';
import { allNodes, type Grid, type Node } from '../../src/topology/model.js';

export function facts(kernel: Partial<HostFacts['kernel']> = {}): HostFacts {
  return {
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', idLike: [] },
    initSystem: 'systemd',
    arch: 'x86_64',
    cpu: { cores: 2, virtFlags: ['vmx'] },
    kvm: { device: false, usable: false, nested: false },
    capSysResource: true,
    memoryBytes: 2 ** 31,
    kernel: { release: '6.1.0-test', loadableModules: true, builtinModules: [], builtinModulesComplete: true, loadedModules: [], ...kernel },
    cgroup: 'v2',
    swapAccounting: true,
    uptimeSeconds: 100,
    packageManager: 'apt',
    agentVersion: null,
    writtenBootstrapScore: null,
    writtenSuperPeer: null,
    network: { defaultRouteDevice: 'eth0', addresses: [{ device: 'lo', address: '127.0.0.1' }, { device: 'eth0', address: '10.0.0.1' }], connectedRoutes: [] },
  };
}

/** A valid grid named g from the rest of a topology file (after `metadata`); throws on problems. */
export function gridOf(body: string, file = 't.yaml'): Grid {
  const { grid, problems } = checkTopologyText(file, `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\n${body}`);
  if (!grid) throw new Error(JSON.stringify(problems));
  return grid;
}

/** A grid of one node, n1 (10.0.0.1) in r1/s1, whose labels are `labels`: for values under test. */
export function gridWithLabels(labels: Record<string, string>): Grid {
  return gridOf(`regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - name: n1
            address: 10.0.0.1
            labels: ${JSON.stringify(labels)}
`);
}

export function smallGrid(extra = ''): Grid {
  return gridOf(
    `${extra}
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1, labels: { evil: "$(touch /tmp/x) ' \\" \`id\`" } }
          - { name: n2, address: 10.0.0.2 }
`,
  );
}

export function node(name = 'n1', extra = ''): Node {
  return allNodes(smallGrid(extra)).find((n) => n.name === name)!;
}

/**
 * A probe's stdout as the planner hands it to diff(): run by a real shell inside the read script
 * (engine/read-script.ts), so the files it asks for come from the batched read, as on a host.
 */
export function probeStdout(probe: string): string {
  const read = readScript([{ probe }], { facts: 'none' });
  return read.parse(execFileSync('/bin/sh', ['-c', read.script], { encoding: 'utf8' })).outputs[0]!;
}
