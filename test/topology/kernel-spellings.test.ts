import { sysctlFile } from '../../src/resources/sysctl.js';
import { checkTopologyText } from '../../src/topology/load.js';

/**
 * modprobe reads `kvm_intel` and `kvm-intel` as one module, and `net.ipv4.ip_forward` and
 * `net/ipv4/ip_forward` are one sysctl.d file. Validate passed both spellings and every node's plan
 * refused them after connecting. Within one level that is an error at the later spelling; a lower
 * level that respells an inherited key overrides it, as the same spelling would.
 */
const topology = (defaults: string, n1 = '', n2 = '') => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults:
  kernel: ${defaults}
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 192.0.2.1${n1} }
          - { name: n2, address: 192.0.2.2${n2} }
          - { name: n3, address: 192.0.2.3 }
`;
const problemsOf = (text: string) => checkTopologyText('g.yaml', text).problems.map((p) => `${p.line}:${p.column}: ${p.message} (hint: ${p.hint})`);

describe('two spellings of one kernel name', () => {
  it('a module listed under both spellings is an error at the second', () => {
    expect(problemsOf(topology('{ modules: [kvm] }', '', ', kernel: { modules: [kvm_intel, kvm-intel] }'))).toEqual([
      '12:76: kernel module "kvm-intel" is "kvm_intel" again (listed at 12:65): modprobe reads - and _ in a module name alike (hint: remove this one: kernel.modules lists each module once)',
    ]);
  });

  it('one level naming a module twice in kernel.params, or a sysctl twice, is an error at the later key', () => {
    expect(problemsOf(topology('{ params: { kvm_intel: { nested: 1 }, kvm-intel: { nested: 0 } }, sysctl: { vm.swappiness: 10, vm/swappiness: 60 } }'))).toEqual([
      '5:49: kernel.params names module kvm_intel twice, as "kvm_intel" and "kvm-intel": modprobe reads - and _ in a module name alike (first at 5:23) (hint: merge their options under one of the two names and remove the other)',
      '5:106: kernel.sysctl sets vm.swappiness twice, as "vm.swappiness" and "vm/swappiness": both are the file /etc/sysctl.d/99-zz-gridops-vm.swappiness.conf (first at 5:87) (hint: keep one of the two keys and remove the other)',
    ]);
    // The file the message names is the one the sysctl resource writes.
    expect(problemsOf(topology('{ sysctl: { vm.swappiness: 10, vm/swappiness: 60 } }'))[0]).toContain(`the file ${sysctlFile('vm.swappiness')} `);
  });

  it('a node respelling an inherited module or sysctl overrides it: its value wins, under one key', () => {
    const check = checkTopologyText('g.yaml', topology('{ params: { kvm_intel: { nested: 1, ept: 1 } }, sysctl: { net.ipv4.ip_forward: 1 } }', ', kernel: { params: { kvm-intel: { nested: 0 } }, sysctl: { net/ipv4/ip_forward: 0 } }'));
    expect(check.problems).toEqual([]);
    const [n1, n2] = check.grid!.regions[0]!.subgrids[0]!.nodes;
    expect(n1!.settings.kernel.params).toEqual({ 'kvm-intel': { nested: 0, ept: 1 } });
    expect(n1!.settings.kernel.sysctl).toEqual({ 'net/ipv4/ip_forward': 0 });
    expect(n1!.origins['kernel.params.kvm-intel.nested']).toBe('regions[0].subgrids[0].nodes[0]');
    expect(n1!.origins['kernel.params.kvm-intel.ept']).toBe('defaults');
    expect(n1!.origins['kernel.params.kvm_intel.ept']).toBeUndefined();
    expect(n2!.settings.kernel.params).toEqual({ kvm_intel: { nested: 1, ept: 1 } });
    expect(n2!.settings.kernel.sysctl).toEqual({ 'net.ipv4.ip_forward': 1 });
  });
});
