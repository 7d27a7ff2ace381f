import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { checkTopologyText } from '../../src/topology/load.js';

const fixture = fileURLToPath(new URL('../fixtures/invalid/dup-multicast.yaml', import.meta.url));

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
});
