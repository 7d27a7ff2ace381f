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
    uptimeSeconds: 100,
    packageManager: 'apt',
    agentVersion: null,
    network: { defaultRouteDevice: 'eth0', addresses: [{ device: 'lo', address: '127.0.0.1' }, { device: 'eth0', address: '10.0.0.1' }], connectedRoutes: [] },
  };
}

/** A valid grid named g from the rest of a topology file (after `metadata`); throws on problems. */
export function gridOf(body: string, file = 't.yaml'): Grid {
  const { grid, problems } = checkTopologyText(file, `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\n${body}`);
  if (!grid) throw new Error(JSON.stringify(problems));
  return grid;
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
