import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { checkTopologyText } from '../../src/topology/load.js';

const fixture = fileURLToPath(new URL('../fixtures/invalid/dup-multicast.yaml', import.meta.url));
const invalid = (name: string) => {
  const file = fileURLToPath(new URL(`../fixtures/invalid/${name}`, import.meta.url));
  return checkTopologyText(file, readFileSync(file, 'utf8')).problems;
};

describe('the hint of a duplicate', () => {
  it('a multicast group two sub-grids share says to give one of them another group (a group is not renamed)', () => {
    const { problems } = checkTopologyText(fixture, readFileSync(fixture, 'utf8'));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.hint).toBe("multicast groups must be unique across the whole grid, or two sub-grids' agents hear each other's discovery: give one of the sub-grids another group in discovery.multicast (GROUP:PORT, e.g. in 239.192.0.0/14)");
  });

  it('a name two entries share still says to rename one', () => {
    const text = readFileSync(fixture, 'utf8').replace('{ name: s2, discovery: { multicast: 239.1.1.1:7947 }', '{ name: s1, discovery: { multicast: 239.1.1.2:7947 }');
    expect(checkTopologyText(fixture, text).problems.map((p) => p.hint)).toEqual(['names of regions, sub-grids and nodes must be unique across the whole grid; rename one of them']);
  });

  it('two regions of one name are one duplicate: their default region peer names, the same by it, are not another', () => {
    const text = 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids: [{ name: s1, nodes: [{ name: a, address: 10.0.0.1 }] }]\n  - name: r1\n    subgrids: [{ name: s2, nodes: [{ name: b, address: 10.0.0.2 }] }]\n';
    expect(checkTopologyText('g.yaml', text).problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual(['7:11: duplicate region name "r1", already used at 5:11']);
  });

  it('an address two nodes share says to change one node\'s address, naming the node that used it first and where', () => {
    expect(invalid('dup-address.yaml').map((p) => `${p.line}:${p.column}: ${p.message} / ${p.hint}`)).toEqual([
      "11:33: duplicate node address \"10.0.0.1\", already used at 10:33 / node addresses must be unique across the whole grid (compared canonically: fd00::12 is fd00:0:0::12); change one node's address (first used by a at 10:33)",
    ]);
  });

  it('an address shared in another notation names the first node across sub-grids', () => {
    expect(invalid('dup-address-ipv4-mapped.yaml').map((p) => p.hint)).toEqual([
      "node addresses must be unique across the whole grid (compared canonically: fd00::12 is fd00:0:0::12); change one node's address (first used by a at 10:33)",
    ]);
  });

  it("a region peer name that is another region's default (region.NAME.GRID.grid.internal) is a duplicate, whichever comes first", () => {
    expect(invalid('dup-region-peer-name-default.yaml').map((p) => `${p.line}:${p.column}: ${p.message} / ${p.hint}`)).toEqual([
      '9:21: duplicate region peer name "region.r1.g.grid.internal", already the default of region "r1" (6:11) / region "r1" has no regionPeerName, so it gets region.r1.g.grid.internal: set another regionPeerName here, or give region "r1" one of its own',
    ]);
    const file = fileURLToPath(new URL('../fixtures/invalid/dup-region-peer-name-default.yaml', import.meta.url));
    const explicitFirst = readFileSync(file, 'utf8').replace('    regionPeerName: region.r1.g.grid.internal\n', '').replace('  - name: r1\n', '  - name: r1\n    regionPeerName: region.r2.g.grid.internal\n');
    expect(checkTopologyText(file, explicitFirst).problems.map((p) => `${p.line}:${p.column}: ${p.message} / ${p.hint}`)).toEqual([
      '9:11: region "r2" gets the default region peer name "region.r2.g.grid.internal", which region "r1" already sets at 7:21 / give region "r2" a regionPeerName of its own, or change the one at 7:21',
    ]);
  });
});

describe('a duplicate YAML key', () => {
  it('in a flow mapping names where the first one is', () => {
    expect(invalid('dup-yaml-key.yaml').map((p) => `${p.line}:${p.column}: ${p.message} / ${p.hint}`)).toEqual([
      '10:43: duplicate key "name", already used at 10:15 / each key may appear once per mapping; merge the two entries or remove one',
    ]);
  });

  it('in a block mapping names where the first one is', () => {
    expect(invalid('dup-yaml-key-block.yaml').map((p) => p.message)).toContain('duplicate key "metadata", already used at 4:1');
  });

  it('a quoted key repeated unquoted is the same key, and the first is named', () => {
    const text = 'apiVersion: gridops/v1\nkind: Grid\n"metadata": { name: g }\nmetadata: { name: h }\nregions: []\n';
    expect(checkTopologyText('g.yaml', text).problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).toContain('4:1: duplicate key "metadata", already used at 3:1');
  });
});

describe('a problem that comes through a YAML alias', () => {
  const head = 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n';

  it('a node repeated in a second sub-grid by an alias is reported at the alias, naming its anchor, never at itself', () => {
    const text = `${head}      - name: s1\n        nodes:\n          - &n1 { name: n1, address: 10.0.0.1 }\n      - name: s2\n        nodes:\n          - *n1\n`;
    expect(checkTopologyText('g.yaml', text).problems.map((p) => `${p.line}:${p.column}: ${p.message} / ${p.hint}`)).toEqual([
      '12:13: duplicate node name "n1": alias *n1 repeats the entry anchored at 9:17 / an entry of the grid (a region, sub-grid or node) appears once: remove this alias, or write an entry of its own here; an alias can repeat settings (ssh, qos), not a whole entry',
    ]);
  });

  it('a bad value inside an anchor reused by an alias is one problem, at the anchored value', () => {
    const text = `${head}      - name: s1\n        nodes:\n          - { name: a, address: 10.0.0.1, ssh: &common { port: 99999 } }\n          - { name: b, address: 10.0.0.2, ssh: *common }\n`;
    const problems = checkTopologyText('g.yaml', text).problems;
    expect(problems.map((p) => `${p.line}:${p.column}`)).toEqual(['9:64']);
  });
});
