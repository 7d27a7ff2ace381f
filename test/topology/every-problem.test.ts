import { readFileSync } from 'node:fs';
import { checkTopologyText } from '../../src/topology/load.js';

/**
 * One `validate` reports every problem the file shows, sorted by position, rather than one stage
 * per run (parse, then schema, then the checks of the resolved grid). Only a check that needs what
 * failed is skipped, and only for the element that failed.
 */
const problemsOf = (text: string) => checkTopologyText('g.yaml', text).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);

const TOPOLOGY = readFileSync(new URL('../fixtures/every-problem/stages.yaml', import.meta.url), 'utf8');

describe('every problem of a topology in one run', () => {
  it('missing keys, an unknown key, and the checks of the resolved grid on the nodes that have no problem', () => {
    expect(problemsOf(TOPOLOGY)).toEqual([
      '9:13: regions[0].subgrids[0].nodes[0] is missing required key "address"',
      '10:13: regions[0].subgrids[0].nodes[1] is missing required key "address"',
      // n3 has no problem of its own: its clash is reported, though other nodes have problems.
      expect.stringMatching(/^11:57: ssh\.port 7946 clashes with agent\.port \(built-in default\) on node "n3"/),
      '12:9: regions[0].subgrids[1] is missing required key "name"',
      '16:44: unknown key "colour" in regions[0].subgrids[2].nodes[0]',
      // n5 has a problem of its own: its version is not known to be what it says, so only n6's is checked.
      expect.stringMatching(/^17:62: agent\.version "0\.0\.2" is not the gridagent this gridops ships/),
    ]);
  });

  it('a mapping missing several required keys names every one of them, not only the first', () => {
    const text = TOPOLOGY.replace('{ name: n1 }', '{ labels: { a: b } }');
    const [problem] = checkTopologyText('g.yaml', text).problems;
    expect(`${problem!.line}:${problem!.column}: ${problem!.message}`).toBe('9:13: regions[0].subgrids[0].nodes[0] is missing required keys "name" and "address"');
    expect(problem!.hint).toBe('add `name:` and `address:` to regions[0].subgrids[0].nodes[0]');
  });

  it('a duplicate key, a second document and a refused tag do not hide the schema problems', () => {
    const text = readFileSync(new URL('../fixtures/every-problem/parse-problems.yaml', import.meta.url), 'utf8');
    expect(problemsOf(text)).toEqual([
      '3:22: duplicate key "name", already used at 3:13',
      // The tag is the problem of that value: no second one saying a Buffer is not a string.
      '9:43: YAML tag tag:yaml.org,2002:binary is not allowed',
      '10:13: regions[0].subgrids[0].nodes[1] is missing required key "address"',
      '11:1: the file holds more than one YAML document',
    ]);
  });

  it('a problem in defaults, which every node inherits, skips the checks of the resolved grid, and nothing else', () => {
    const text = TOPOLOGY.replace('regions:\n', 'defaults: { ssh: { port: "22" } }\nregions:\n');
    const problems = problemsOf(text);
    expect(problems[0]).toMatch(/^4:26: port must be an integer/);
    expect(problems.filter((p) => /clashes|agent\.version/.test(p))).toEqual([]);
    expect(problems).toHaveLength(5);
  });

  it('an alias naming no anchor is said at each such alias, with where to put the anchor, not as an expansion limit', () => {
    const text = TOPOLOGY.replace('{ name: n1 }', '{ name: n1, qos: *q }').replace('{ name: n2 }', '{ name: n2, labels: *l }').replace('agent: { version: 0.0.2 }', 'labels: &l { rack: a }');
    expect(checkTopologyText('g.yaml', text).problems.map((p) => `${p.line}:${p.column}: ${p.message} | ${p.hint}`)).toEqual([
      '9:30: alias *q names no anchor (&q) defined above it | mark the value to repeat with `&q` above this line, or write the value here; settings shared by many nodes can go in `defaults`',
      '10:33: alias *l names no anchor (&l) defined above it | &l is set at 17:52, below this alias, and an alias can only name an anchor written before it: move the anchored value above this line, or write the value here',
    ]);
  });

  it('a syntax error stops there: the shape of the rest is not known', () => {
    expect(problemsOf(TOPOLOGY.replace('{ name: n1 }', '{ name: n1'))).toEqual(['9:13: YAML syntax error: the { that opens this mapping is not closed before line 10']);
  });

  it('sorted by position, whichever check found them', () => {
    const lines = checkTopologyText('g.yaml', TOPOLOGY).problems.map((p) => [p.line, p.column]);
    expect(lines).toEqual([...lines].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));
  });

  it("a playbook entry of the topology with no problem of its own is still there to check when others have problems", () => {
    const { grid, playbooks } = checkTopologyText('/grid/g.yaml', `${TOPOLOGY}playbooks: [qos, 7, ./site.yaml]\n`);
    expect(grid).toBeUndefined();
    expect(playbooks.map((p) => [p.ref, p.position.line, p.position.column])).toEqual([['qos', 18, 13], ['./site.yaml', 18, 21]]);
  });
});
