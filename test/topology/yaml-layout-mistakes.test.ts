import { checkTopologyText } from '../../src/topology/load.js';

/** A grid of two regions; `subgridOne` and `subgridTwo` are the lines of one sub-grid each (each region has one). */
const grid = (subgridOne: string, subgridTwo: string) =>
  [
    'apiVersion: gridops/v1',
    'kind: Grid',
    'metadata:',
    '  name: g',
    'regions:',
    '  - name: r1',
    '    subgrids:',
    subgridOne,
    '  - name: r2',
    '    subgrids:',
    subgridTwo,
    '',
  ].join('\n');

const nodeLines = (prefix: string, count: number, indent = 10) =>
  Array.from({ length: count }, (_, i) => `${' '.repeat(indent)}- { name: ${prefix}${i + 1}, address: 10.0.${prefix === 'a' ? 1 : 2}.${i + 1} }`).join('\n');

const withNodesKey = (name: string, prefix: string, count: number) => `      - name: ${name}\n        nodes:\n${nodeLines(prefix, count)}`;
/** A sub-grid whose `nodes:` line is left out: its list sits right under `- name: …`. */
const withoutNodesKey = (name: string, prefix: string, count: number) => `      - name: ${name}\n${nodeLines(prefix, count)}`;
/** A sub-grid of three nodes whose second node line is indented by 9 spaces instead of 10. */
const withNineSpaces = (name: string, prefix: string) => withNodesKey(name, prefix, 3).replace(`          - { name: ${prefix}2,`, `         - { name: ${prefix}2,`);

const problemsOf = (text: string) => checkTopologyText('g.yaml', text).problems.map((p) => ({ at: `${p.line}:${p.column}`, message: p.message, hint: p.hint }));

describe('one layout mistake in the YAML is one problem', () => {
  it('a list of 60 nodes without its `nodes:` key is one problem at the list, naming the key to add', () => {
    const problems = problemsOf(grid(withoutNodesKey('s1', 'a', 60), withNodesKey('s2', 'b', 2)));
    expect(problems).toEqual([
      {
        at: '9:11',
        message: 'YAML syntax error: this list has no key: the line above it, `name: s1`, already has its value',
        hint: 'a list here needs a key above it: add `nodes:` on a line of its own above the list, at column 9',
      },
    ]);
  });

  it('names `subgrids:` for a list under a region and `regions:` for one at the top, and no key it cannot be sure of', () => {
    const region = problemsOf('apiVersion: gridops/v1\nkind: Grid\nmetadata:\n  name: g\nregions:\n  - name: r1\n      - name: s1\n        nodes: []\n');
    expect(region).toEqual([expect.objectContaining({ at: '7:7', hint: 'a list here needs a key above it: add `subgrids:` on a line of its own above the list, at column 5' })]);
    const top = problemsOf('apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\n  - name: r1\n    subgrids: []\n');
    expect(top).toEqual([expect.objectContaining({ at: '4:3', hint: 'a list here needs a key above it: add `regions:` on a line of its own above the list, at column 1' })]);
    // The sub-grid has its `nodes:` already: the list belongs to some other key, which is not guessed.
    const taken = problemsOf(grid(`${withNodesKey('s1', 'a', 2)}\n        qos: x\n          - { name: a9 }`, withNodesKey('s2', 'b', 2)));
    expect(taken).toEqual([expect.objectContaining({ at: '13:11', hint: 'a list here needs a key above it: add its key on a line of its own above the list, at column 9' })]);
  });

  it('a node line indented by 9 spaces instead of 10 is one problem, saying the column its siblings start at', () => {
    const problems = problemsOf(grid(withNineSpaces('s1', 'a'), withNodesKey('s2', 'b', 2)));
    expect(problems).toEqual([
      {
        at: '11:10',
        message: 'YAML syntax error: this line starts at column 10, not in line with the line above it (column 11)',
        hint: 'indent this line like the line above it (column 11)',
      },
    ]);
  });

  it('a key a column deeper than the key above it is reported on its own line, though yaml stumbles on the line above', () => {
    const problems = problemsOf(grid(withNodesKey('s1', 'a', 2).replace('        nodes:', '         nodes:'), withNodesKey('s2', 'b', 2)));
    expect(problems).toEqual([expect.objectContaining({ at: '9:10', hint: 'indent this line like `name:` on line 8 (column 9)' })]);
  });

  it('two independent mistakes far apart are both reported, each once', () => {
    const problems = problemsOf(grid(withNineSpaces('s1', 'a'), withoutNodesKey('s2', 'b', 30)));
    expect(problems.map((p) => `${p.at}: ${p.hint}`)).toEqual([
      '11:10: indent this line like the line above it (column 11)',
      '16:11: a list here needs a key above it: add `nodes:` on a line of its own above the list, at column 9',
    ]);
  });

  it('a line indented with a tab is one problem at the tab, saying YAML indents with spaces, not a column to move it to', () => {
    const tab = {
      message: 'YAML syntax error: this line is indented with a tab; YAML indents with spaces only',
      hint: 'replace the tab with spaces, lining this line up with the lines it belongs with (set your editor to insert spaces in YAML files)',
    };
    expect(problemsOf('apiVersion: gridops/v1\nkind: Grid\nmetadata:\n\tname: g\nregions: []\n')).toEqual([{ at: '4:1', ...tab }]);
    // yaml also stumbles on the line above the tab's, taking the tab's line for a continuation of it.
    expect(problemsOf(grid(withNodesKey('s1', 'a', 2).replace('          - { name: a1', '\t  - { name: a1'), withNodesKey('s2', 'b', 2)))).toEqual([{ at: '10:1', ...tab }]);
    // Spaces and tabs mixed: the layout heuristics would count the tab as one column and ask for one more space.
    expect(problemsOf(grid(withNodesKey('s1', 'a', 2).replace('          - { name: a2', '\t\t  - { name: a2'), withNodesKey('s2', 'b', 2)))).toEqual([{ at: '11:1', ...tab }]);
    const node = '          - name: a1\n            address: 10.0.1.1';
    expect(problemsOf(grid(`      - name: s1\n        nodes:\n${node.replace('            address', '   \t       address')}`, withNodesKey('s2', 'b', 2)))).toEqual([{ at: '11:4', ...tab }]);
  });

  it('a syntax error that is neither keeps the generic hint', () => {
    const problems = problemsOf('apiVersion: gridops/v1\nkind: Grid\nmetadata:\n  name: g: h\nregions: []\n');
    expect(problems).toEqual([expect.objectContaining({ at: '4:9', hint: 'check indentation, quotes and colons around this position' })]);
  });
});
