import { checkTopologyText } from '../../src/topology/load.js';

const topology = (defaults: string, nodes: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults: ${defaults}
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
${nodes}
`;
const warnings = (text: string) => checkTopologyText('t.yaml', text).warnings.filter((w) => w.message.includes('does nothing here')).map((w) => `${w.line}:${w.column} ${w.message}`);

describe('sandbox settings where no node runs the hypervisor', () => {
  it('are a warning at the place written, once, where enabled was forgotten', () => {
    expect(warnings(topology('{ hypervisor: { sandbox: { vcpus: 2, image: sandbox.img } } }', '          - { name: n1, address: 10.0.0.1 }\n          - { name: n2, address: 10.0.0.2 }'))).toEqual([
      '4:45 hypervisor.sandbox.vcpus does nothing here: hypervisor.enabled is false on every node it applies to',
      '4:55 hypervisor.sandbox.image does nothing here: hypervisor.enabled is false on every node it applies to',
    ]);
  });

  it('are not, where a node that inherits them runs the hypervisor; a node\'s own setting on a node without it is', () => {
    const text = topology('{ hypervisor: { sandbox: { vcpus: 2, image: x.img } } }', '          - { name: n1, address: 10.0.0.1, hypervisor: { enabled: true } }\n          - { name: n2, address: 10.0.0.2, hypervisor: { hostReserveMiB: 512 } }');
    expect(warnings(text)).toEqual(['11:74 hypervisor.hostReserveMiB does nothing here: hypervisor.enabled is false on every node it applies to']);
  });

  it('name their path as problems do (`regions[0]…`, what --json prints), not with dotted list indexes', () => {
    const text = topology('{}', '          - { name: n1, address: 10.0.0.1, hypervisor: { hostReserveMiB: 512 } }');
    expect(checkTopologyText('t.yaml', text).warnings.filter((w) => w.message.includes('does nothing here')).map((w) => w.path)).toEqual(['regions[0].subgrids[0].nodes[0].hypervisor.hostReserveMiB']);
  });
});
