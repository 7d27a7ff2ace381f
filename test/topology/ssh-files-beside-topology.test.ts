import { resolve } from 'node:path';
import { checkTopologyText } from '../../src/topology/load.js';
import { allNodes } from '../../src/topology/model.js';

/**
 * Relative ssh.identityFile and ssh.knownHosts are files beside the topology, as sandbox.image,
 * agent.keyFile and playbooks are: not wherever gridops happens to run from. `~` stays for the
 * transport to expand; an absolute path is kept.
 */
const sshOf = (file: string, ssh: string) =>
  allNodes(
    checkTopologyText(file, `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults: { ssh: { ${ssh} } }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2, ssh: { identityFile: ../keys/n2 } }
`).grid!,
  ).map((n) => n.settings.ssh);

describe('ssh.identityFile and ssh.knownHosts', () => {
  it('a relative path is relative to the topology file, at every level', () => {
    const [n1, n2] = sshOf('/grids/eu/topology.yaml', 'identityFile: ./id, knownHosts: kh');
    expect(n1).toMatchObject({ identityFile: '/grids/eu/id', knownHosts: '/grids/eu/kh' });
    expect(n2).toMatchObject({ identityFile: '/grids/keys/n2', knownHosts: '/grids/eu/kh' });
    // A topology named relative to the current directory: its own directory, not the current one.
    expect(sshOf('sub/t.yaml', 'knownHosts: kh')[0]!.knownHosts).toBe(resolve('sub/kh'));
  });

  it('~/ and absolute paths are kept as written (the transport expands ~), the built-in known_hosts too', () => {
    const [n1] = sshOf('/grids/eu/topology.yaml', 'identityFile: ~/.ssh/grid, knownHosts: /etc/ssh/grid_known_hosts');
    expect(n1).toMatchObject({ identityFile: '~/.ssh/grid', knownHosts: '/etc/ssh/grid_known_hosts' });
    expect(sshOf('/grids/eu/topology.yaml', 'user: root')[0]!.knownHosts).toBe('~/.ssh/known_hosts');
  });
});
