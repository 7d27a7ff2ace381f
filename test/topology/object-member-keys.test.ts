import { checkTopologyText } from '../../src/topology/load.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import type { RawTopology } from '../../src/topology/schema.js';
import { parseSource } from '../../src/topology/source.js';

/**
 * A key of the file named `__proto__` (or `constructor`, `prototype`) is no kernel module or option:
 * it once validated, and merging the levels through it set Object.prototype.polluted for the whole
 * process. It is refused at the key, and nothing reaches Object.prototype.
 */
const topology = (kernel: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults:
  kernel: ${kernel}
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 192.0.2.1 }
          - { name: n2, address: 192.0.2.2 }
          - { name: n3, address: 192.0.2.3 }
`;

afterEach(() => {
  delete (Object.prototype as Record<string, unknown>).polluted;
});

describe('keys that are names JavaScript objects reserve', () => {
  it('__proto__ as a module in kernel.params is refused at its key, and Object.prototype stays clean', () => {
    const check = checkTopologyText('g.yaml', topology('{ params: { __proto__: { polluted: 1 } } }'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(check.grid).toBeUndefined();
    expect(check.problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual(['5:23: "__proto__" is not a kernel module name: it is a name JavaScript objects reserve']);
    expect(check.problems[0]!.hint).toMatch(/kvm_intel/);
  });

  it.each(['constructor', 'prototype'])('%s as a module option name is refused at its key', (name) => {
    const check = checkTopologyText('g.yaml', topology(`{ params: { kvm: { ${name}: 1 } } }`));
    expect(check.problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual([`5:30: "${name}" is not a module option name: it is a name JavaScript objects reserve`]);
  });

  it('a level below a node with a refused key is still resolved without reaching Object.prototype', () => {
    const text = topology('{ modules: [kvm] }').replace('{ name: n3, address: 192.0.2.3 }', '{ name: n3, address: 192.0.2.3, kernel: { params: { __proto__: { polluted: 1 } } } }');
    const check = checkTopologyText('g.yaml', text);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(check.problems).toHaveLength(1);
  });

  it('resolving levels never assigns through __proto__, whatever reaches it', () => {
    const text = topology('{ params: { __proto__: { polluted: 1 }, kvm: { constructor: 1 } } }');
    const { source } = parseSource('g.yaml', text);
    // JSON.parse makes __proto__ an own key, as yaml does: what the schema would refuse, handed to the resolver directly.
    const raw = JSON.parse(JSON.stringify(source.value).replace('"kernel":{', '"kernel":{"sysctl":{"__proto__":{"polluted":2}},')) as RawTopology;
    const node = resolveTopology(raw, source, text).regions[0]!.subgrids[0]!.nodes[0]!;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(node.settings.kernel.params, '__proto__')).toBe(true);
    expect(node.settings.kernel.params.kvm).toEqual({ constructor: 1 });
  });
});
