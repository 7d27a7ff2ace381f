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

/**
 * A network whose bridge (gs-NAME) would be the sandbox's own tap (gs-sandbox) or that tap's ifb
 * (gs-sandbox-ifb): libvirt would fail to make the bridge beside the tap, and hypervisor-off's and
 * reset's `ip link del gs-sandbox-ifb` would delete the live grid bridge.
 */
describe('hypervisor.sandbox.network whose bridge is named as the sandbox tap or its ifb', () => {
  const grid = (name: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1, hypervisor: { enabled: true, sandbox: { network: ${name}, image: x.img } } }
`;

  it.each([
    ['sandbox', 'gs-sandbox'],
    ['sandbox-ifb', 'gs-sandbox-ifb'],
  ])('%s is refused with the file, line and column, the clashing device and what to use instead', (name, device) => {
    expect(problemsOf(grid(name))).toEqual([expect.stringMatching(new RegExp(`^g\\.yaml:9:93: hypervisor\\.sandbox\\.network cannot be "${name}": its bridge ${device} is the name of the sandbox VM's own .* \\(use a name of its own, such as grid-net`))]);
  });

  it('names near them are fine', () => {
    for (const name of ['sandbox-net', 'my-sandbox', 'sandbox-ifb2']) expect(problemsOf(grid(name))).toEqual([]);
  });
});
