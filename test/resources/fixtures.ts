import type { HostFacts } from '../../src/facts/host-facts.js';
import { checkTopologyText } from '../../src/topology/load.js';
import { allNodes, type Grid, type Node } from '../../src/topology/model.js';

export function facts(kernel: Partial<HostFacts['kernel']> = {}): HostFacts {
  return {
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', idLike: [] },
    initSystem: 'systemd',
    arch: 'x86_64',
    cpu: { cores: 2, virtFlags: ['vmx'] },
    memoryBytes: 2 ** 31,
    kernel: { release: '6.1.0-test', loadableModules: true, builtinModules: [], builtinModulesComplete: true, loadedModules: [], ...kernel },
    cgroup: 'v2',
    uptimeSeconds: 100,
    packageManager: 'apt',
    agentVersion: null,
  };
}

export function smallGrid(extra = ''): Grid {
  const { grid, problems } = checkTopologyText(
    't.yaml',
    `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
${extra}
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1, labels: { evil: "$(touch /tmp/x) ' \\" \`id\`" } }
          - { name: n2, address: 10.0.0.2 }
`,
  );
  if (!grid) throw new Error(JSON.stringify(problems));
  return grid;
}

export function node(name = 'n1', extra = ''): Node {
  return allNodes(smallGrid(extra)).find((n) => n.name === name)!;
}
