import { checkTopologyText } from '../../src/topology/load.js';

const problemsOf = (text: string) => checkTopologyText('g.yaml', text).problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} (${p.hint})`);

/** libvirt's own `default` network (NAT) is never the grid network: gridops would redefine it isolated, and hypervisor-off and reset would undefine it. */
describe('hypervisor.sandbox.network: default', () => {
  const grid = (defaults: string, node: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults: { hypervisor: { sandbox: { network: ${defaults} } } }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2, hypervisor: { enabled: true, sandbox: { network: ${node}, image: x.img } } }
`;

  it('is refused at each place it is written, with the file, line and column and what to use instead', () => {
    expect(problemsOf(grid('default', 'default'))).toEqual([
      expect.stringMatching(/^g\.yaml:4:47: hypervisor\.sandbox\.network cannot be "default": that is libvirt's own NAT network.* \(use a name of its own, such as grid-net/),
      expect.stringMatching(/^g\.yaml:11:93: hypervisor\.sandbox\.network cannot be "default"/),
    ]);
  });

  it('a name of its own is fine, default-net too', () => {
    expect(problemsOf(grid('grid-net', 'default-net'))).toEqual([]);
  });
});
