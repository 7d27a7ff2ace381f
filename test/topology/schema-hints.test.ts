import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTopologyText } from '../../src/topology/load.js';
import { rangeHint } from '../../src/topology/schema-hint.js';

/**
 * A schema problem's hint says what to write instead, built from the type and bounds the schema
 * expects; the field's description follows where it has one. A description alone ("SSH port")
 * says what the field is, not how to fix it, and a field without one had no hint at all.
 */
const topology = (node: string, extra = '') => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
${extra}regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: a, address: 10.0.0.1, ${node} }
          - { name: b, address: 10.0.0.2 }
          - { name: c, address: 10.0.0.3 }
`;
const problemsOf = (text: string) => checkTopologyText('g.yaml', text).problems.map((p) => ({ message: p.message, hint: p.hint }));

describe('the hint of a schema problem', () => {
  it('a count below its minimum, in a union with a percentage, names the range, an example and the other form', () => {
    expect(problemsOf(topology('labels: {}', 'rollout: { maxUnavailable: 0 }\n'))).toEqual([
      {
        message: 'maxUnavailable is 0, out of range (must be >= 1)',
        hint: 'write a whole number of at least 1, e.g. 1, or a percentage such as 10%; maxUnavailable: nodes upgraded at once: a count or a percentage',
      },
    ]);
  });

  it('a label that is not a string says to quote it, showing the quoted form', () => {
    expect(problemsOf(topology('labels: { gpu: true, env: 1 }'))).toEqual([
      { message: 'gpu must be a string, not a boolean', hint: 'quote it: gpu: "true"' },
      { message: 'env must be a string, not an integer', hint: 'quote it: env: "1"' },
    ]);
  });

  it('more labels than gridagent takes (64, the most a join may carry) is a problem at the labels, not an agent that exits at every start', () => {
    const labels = Array.from({ length: 65 }, (_, i) => `k${i}: v`).join(', ');
    const [problem, ...more] = problemsOf(topology(`labels: { ${labels} }`));
    expect(more).toEqual([]);
    expect(problem!.message).toBe('labels has 65 entries, more than the 64 allowed');
    expect(problem!.hint).toMatch(/^keep at most 64 entries under labels; labels: free-form attributes of the node, at most 64/);
    expect(problemsOf(topology(`labels: { ${Array.from({ length: 64 }, (_, i) => `k${i}: v`).join(', ')} }`))).toEqual([]);
  });

  it('a sub-grid of more nodes than a super peer\'s registry takes (8192) is a problem at its nodes, saying how many', () => {
    const nodes = Array.from({ length: 8193 }, (_, i) => `          - { name: n${i}, address: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} }`).join('\n');
    const text = `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n${nodes}\n`;
    expect(problemsOf(text)).toEqual([{ message: 'nodes lists 8193 entries, more than the 8192 allowed', hint: 'list at most 8192 entries; nodes: the machines of this sub-grid, at most 8192' }]);
  });

  it('a string-typed field given a number says to quote it where the quoted text passes, then what the field is', () => {
    expect(problemsOf(topology('labels: { rack: 12 }'))).toEqual([{ message: 'rack must be a string, not an integer', hint: 'quote it: rack: "12"' }]);
    // "123" is no user name either: the format's own advice, not a quote that leads to a second error.
    expect(problemsOf(topology('ssh: { user: 123 }'))).toEqual([{ message: 'user must be a string, not an integer', hint: 'use a POSIX user name: lowercase letters, digits, _ and -, starting with a letter or _; user: remote user; become (sudo) is used for changes when it is not root' }]);
  });

  it('a number in a field of a format that the number quoted would not pass either says what the format wants, not to quote it', () => {
    const [timeout] = problemsOf(topology('ssh: { connectTimeout: 30 }'));
    expect(timeout!.message).toBe('connectTimeout must be a string, not an integer');
    expect(timeout!.hint).toMatch(/^add a unit: 30s, 30m or 30ms(;|$)/);
    const [version] = problemsOf(topology('labels: {}', 'defaults: { agent: { version: 0.1 } }\n'));
    expect(version!.hint).not.toMatch(/^quote it/);
  });

  it('a percentage above its maximum names the range and the nearest allowed value', () => {
    expect(problemsOf(topology('qos: { gridCpuPercent: 150 }'))).toEqual([
      { message: 'gridCpuPercent is 150, out of range (must be <= 100)', hint: 'write a whole number from 1 to 100, e.g. 100; gridCpuPercent: CPU share of the machine granted to grid work, in percent' },
    ]);
  });

  it('grid memory beyond what systemd takes (MemoryMax=1e+20M would be ignored: no limit at all) is out of range, like the sandbox\'s memory', () => {
    const hint = 'write a whole number from 16 to 4194304, e.g. 4194304; gridMemoryMiB: memory granted to grid work, in MiB';
    expect(problemsOf(topology('qos: { gridMemoryMiB: 1e20 }'))).toEqual([{ message: 'gridMemoryMiB is 100000000000000000000, out of range (must be <= 4194304)', hint }]);
    expect(problemsOf(topology('qos: { gridMemoryMiB: 4194305 }'))).toEqual([{ message: 'gridMemoryMiB is 4194305, out of range (must be <= 4194304)', hint }]);
    expect(problemsOf(topology('qos: { gridMemoryMiB: 4194304 }'))).toEqual([]);
  });

  it('a YAML merge key says merge keys are not supported and that settings are inherited instead, not only that "<<" is unknown', () => {
    const text = topology('ssh: { <<: *s, port: 2222 }', 'defaults: { ssh: &s { user: ops } }\n');
    expect(checkTopologyText('g.yaml', text).problems.map((p) => `${p.line}:${p.column}: ${p.message} / ${p.hint}`)).toEqual([
      '10:50: YAML merge keys (<<) are not supported: regions[0].subgrids[0].nodes[0].ssh takes its keys written out / write the keys out here, or put what several entries share once in `defaults`, a region or a sub-grid: the nodes below inherit it',
    ]);
  });

  it('an exclusive bound is said as "above"', () => {
    expect(rangeHint({ type: 'number', exclusiveMinimum: 0, maximum: 400_000 }, 0)).toBe('write a number above 0 and at most 400000, e.g. 1');
  });

  it('an egressMbit below 0.01 is out of range, at its line: tc\'s 32-bit burst time wraps below about 0.0019 Mbit/s (0.001 loaded as a 31176-byte burst)', () => {
    const hint = 'write a number from 0.01 to 400000, e.g. 0.01; egressMbit: outgoing bandwidth limit of grid traffic, in Mbit/s';
    for (const [written, shown] of [['0', '0'], ['0.001', '0.001'], ['1e-300', '1e-300']]) {
      expect(problemsOf(topology(`qos: { egressMbit: ${written} }`))).toEqual([{ message: `egressMbit is ${shown}, out of range (must be >= 0.01)`, hint }]);
    }
    expect(checkTopologyText('g.yaml', topology('qos: { egressMbit: 0.001 }')).problems.map((p) => `${p.line}:${p.column}`)).toEqual(['9:62']);
    expect(problemsOf(topology('qos: { egressMbit: 0.01 }'))).toEqual([]);
  });

  it('a quoted boolean says to write it without quotes, as the boolean it names', () => {
    expect(problemsOf(topology('ssh: { become: "yes" }'))).toEqual([{ message: 'become must be true or false, not a string', hint: 'write become: true, without quotes; become: run changes through sudo (default: when user is not root)' }]);
    expect(problemsOf(topology("ssh: { become: 'false' }"))[0]!.hint).toMatch(/^write become: false, without quotes;/);
  });

  it('yes, no, on and off written without quotes (YAML 1.1, Ansible\'s habit) say that YAML 1.2 reads them as strings, and which of true or false to write', () => {
    const become = ' become: run changes through sudo (default: when user is not root)';
    expect(problemsOf(topology('ssh: { become: yes }'))).toEqual([{ message: 'become must be true or false, not a string', hint: `YAML 1.2 reads yes as a string, not as true or false: write become: true;${become}` }]);
    expect(problemsOf(topology('ssh: { become: Off }'))[0]!.hint).toBe(`YAML 1.2 reads Off as a string, not as true or false: write become: false;${become}`);
    expect(problemsOf(topology('ssh: { become: NO }'))[0]!.hint).toMatch(/^YAML 1\.2 reads NO as a string, not as true or false: write become: false;/);
    expect(problemsOf(topology('labels: {}', 'defaults: { hypervisor: { enabled: on } }\n'))[0]!.hint).toMatch(/^YAML 1\.2 reads on as a string, not as true or false: write enabled: true(;|$)/);
    // Followed literally, the hint leaves nothing to fix.
    expect(problemsOf(topology('ssh: { become: true }'))).toEqual([]);
    // A word that is no boolean in any YAML is not told to drop quotes it does not have.
    expect(problemsOf(topology('ssh: { become: maybe }'))[0]!.hint).toBe(`write true or false;${become}`);
  });

  it("a word that names a member of every JavaScript object is no YAML 1.1 boolean either", () => {
    const become = ' become: run changes through sudo (default: when user is not root)';
    for (const word of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(problemsOf(topology(`ssh: { become: ${word} }`))[0]!.hint).toBe(`write true or false;${become}`);
    }
  });

  it('a word where a number belongs is told to drop quotes only when it has them', () => {
    expect(problemsOf(topology('ssh: { port: "22" }'))[0]!.hint).toBe('write a whole number from 1 to 65535, without quotes; port: SSH port');
    expect(problemsOf(topology('ssh: { port: twenty }'))[0]!.hint).toBe('write a whole number from 1 to 65535; port: SSH port');
  });

  it('a number quoted as the hint says keeps the text the user wrote (True, 1.0), not what YAML made of it', () => {
    expect(problemsOf(topology('labels: { gpu: True, ver: 1.0 }'))).toEqual([
      { message: 'gpu must be a string, not a boolean', hint: 'quote it: gpu: "True"' },
      { message: 'ver must be a string, not an integer', hint: 'quote it: ver: "1.0" (YAML 1.2 reads 1.0 as the number 1)' },
    ]);
  });

  it('a single value where a list belongs shows it as a list', () => {
    expect(problemsOf(topology('kernel: { modules: kvm }'))).toEqual([{ message: 'modules must be a list, not a string', hint: 'write it as a list, e.g. modules: [kvm]; modules: modules to load now and at boot' }]);
  });

  it('a single value where a list of mappings belongs shows a list of mappings with their required keys, which validates once filled in', () => {
    const text = `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions: "r1"\n`;
    const [problem, ...more] = problemsOf(text);
    expect(more).toEqual([]);
    expect(problem).toEqual({ message: 'regions must be a list, not a string', hint: 'write it as a list of mappings, each with name and subgrids, e.g. regions: [{ name: r1, subgrids: [...] }], each ... replaced by its value; regions: the regions of the grid' });
    const example = /e\.g\. (regions: \[.*\]), each/.exec(problem!.hint!)![1]!;
    const subgrid = '{ name: s1, nodes: [{ name: a, address: 10.0.0.1 }, { name: b, address: 10.0.0.2 }, { name: c, address: 10.0.0.3 }] }';
    expect(problemsOf(text.replace('regions: "r1"', example.replace('[...]', `[${subgrid}]`)))).toEqual([]);
    expect(problemsOf(topology('labels: {}').replace('nodes:\n', 'nodes: x\n        xnodes:\n'))[0]!.hint).toMatch(/^write it as a list of mappings, each with name and address, e\.g\. nodes: \[\{ name: x, address: \.\.\. \}\], each \.\.\. replaced by its value/);
  });

  it('a mapping where a list of mappings belongs says to start it with a dash or wrap it in brackets, not [a, b]', () => {
    const text = `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions: { name: r1, subgrids: [] }\n`;
    expect(problemsOf(text)[0]!.hint).toMatch(/^write regions as a list of mappings: put "- " before the first key of each entry \(its other keys indented to match\), or wrap it as \[\{ key: value \}\]/);
  });

  it('a value where a mapping belongs says how a mapping is written', () => {
    expect(problemsOf(topology('ssh: 22'))).toEqual([{ message: 'ssh must be a mapping, not an integer', hint: 'write ssh as a mapping: its keys indented under it, or { key: value }; ssh: how gridops reaches a node over SSH' }]);
  });

  it('an empty string where one is required says to write something', () => {
    expect(problemsOf(topology('labels: {}', 'playbooks: [""]\n'))).toEqual([
      { message: 'playbooks[0] is an empty string', hint: "write at least 1 character; playbooks[0]: one of gridops' playbooks by name, or a file: a path relative to this file (./site.yaml)" },
    ]);
  });

  it('every problem of the invalid corpus has a hint', () => {
    const dir = fileURLToPath(new URL('../fixtures/invalid/', import.meta.url));
    const hintless = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => checkTopologyText(f, readFileSync(join(dir, f), 'utf8')).problems.filter((p) => !p.hint).map((p) => `${f}:${p.line}:${p.column}: ${p.message}`));
    expect(hintless).toEqual([]);
  });
});
