import { checkTopologyText } from '../../src/topology/load.js';

const problemsOf = (text: string) => checkTopologyText('g.yaml', text).problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} (${p.hint})`);

/** What plan refused only after connecting (load-secrets, instantiate): validation refuses it at the line that sets it. */
const grid = (defaults: string, n1: string, n2: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults: { ${defaults} }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1${n1} }
          - { name: n2, address: 10.0.0.2${n2} }
`;

describe('a grid has one agent.keyFile', () => {
  it('a second value is refused where it is written, naming the first and its line', () => {
    expect(problemsOf(grid('agent: { keyFile: a.key }', '', ', agent: { keyFile: b.key }'))).toEqual([
      expect.stringMatching(/^g\.yaml:11:62: agent\.keyFile "b\.key" is not the grid's key file "a\.key" \(line 4\): a grid has one key.* \(set agent\.keyFile once, under defaults/),
    ]);
  });

  it('the same file written twice, even spelled otherwise, is one key', () => {
    expect(problemsOf(grid('agent: { keyFile: keys/a.key }', ', agent: { keyFile: ./keys/a.key }', ''))).toEqual([]);
  });
});

describe('hypervisor.enabled needs hypervisor.sandbox.image', () => {
  it('enabled with no image is refused at the line that enables it, once per place', () => {
    expect(problemsOf(grid('hypervisor: { enabled: true }', '', ''))).toEqual([
      expect.stringMatching(/^g\.yaml:4:36: hypervisor\.enabled is true for n1 and n2, but no hypervisor\.sandbox\.image is set .*\(name a bootable disk image.*gridops lab image/),
    ]);
    expect(problemsOf(grid('agent: { port: 7946 }', '', ', hypervisor: { enabled: true }'))).toEqual([expect.stringMatching(/^g\.yaml:11:67: hypervisor\.enabled is true for n2, but/)]);
  });

  it('an image set anywhere above the node is enough; disabled needs none', () => {
    expect(problemsOf(grid('hypervisor: { sandbox: { image: x.img } }', ', hypervisor: { enabled: true }', ''))).toEqual([]);
    expect(problemsOf(grid('hypervisor: { enabled: false }', '', ''))).toEqual([]);
  });
});
