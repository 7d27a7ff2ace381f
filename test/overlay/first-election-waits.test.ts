import { firstElectionWaits, regionWaitText } from '../../src/overlay/first-election-waits.js';
import { gridOf } from '../resources/fixtures.js';

const grid = gridOf(
  'regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2, address: 10.0.0.2 }, { name: a3, address: 10.0.0.3 }] }, { name: b, nodes: [{ name: b1, address: 10.0.1.1 }] }] }]\n',
);
const NONE = { subgrids: new Set<string>(), regions: new Set<string>() };
const born = (subgrid: readonly string[], region = ['a', 'b']) => ({ subgrids: new Map([['r1/a', subgrid]]), regions: new Map([['r1', region]]) });

describe('firstElectionWaits: which first elections the agents that run cannot complete', () => {
  it('one voter of three cannot elect, and the region then lacks a sub-grid besides the one outside', () => {
    const waits = firstElectionWaits(grid, born(['a1', 'a2', 'a3']), new Set(['a1']), NONE);
    expect([...waits.subgrids]).toEqual([['r1/a', ['a2', 'a3']]]);
    expect([...waits.regions]).toEqual([['r1', ['a', 'b']]]);
    expect(regionWaitText(waits.regions.get('r1')!, new Set(['a']), 'outside --limit')).toBe('its first election waits for sub-grid b (outside --limit) and sub-grid a (waiting too)');
    // b's node selected but not reached: no --limit left it out.
    expect(regionWaitText(waits.regions.get('r1')!, new Set(['a']), 'outside --limit', new Set(['b']))).toBe('its first election waits for sub-grid b (unreachable) and sub-grid a (waiting too)');
  });

  it('a voter that an earlier run gave an agent votes (voting holds it): two of three elect', () => {
    const waits = firstElectionWaits(grid, born(['a1', 'a2', 'a3']), new Set(['a1', 'a2']), NONE);
    expect(waits.subgrids.size).toBe(0);
    expect([...waits.regions]).toEqual([['r1', ['b']]]);
  });

  it('a group whose first election was seen is not born any more, and a sub-grid that elected votes in its region', () => {
    const waits = firstElectionWaits(grid, born(['a1', 'a2', 'a3']), new Set(['a1']), { subgrids: new Set(['r1/a', 'r1/b']), regions: new Set() });
    expect(waits.subgrids.size).toBe(0);
    expect(waits.regions.size).toBe(0);
  });

  it("a sub-grid outside the run whose own first election is stuck from an earlier run casts no region vote", async () => {
    // r1 = a (a1) + b (b1, b2, b3). An earlier `apply --limit b1` gave b1 an agent and b an
    // electorate of three: b never elected. This run, `--limit a1`, cannot elect r1's region peer.
    const two = gridOf('regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }] }, { name: b, nodes: [{ name: b1, address: 10.0.1.1 }, { name: b2, address: 10.0.1.2 }, { name: b3, address: 10.0.1.3 }] }] }]\n');
    const recorded = new Map([['r1/b', ['b1', 'b2', 'b3']]]);
    const waits = firstElectionWaits(two, born(['a1']), new Set(['a1', 'b1']), NONE, recorded);
    expect(waits.subgrids.size).toBe(0);
    expect([...waits.regions]).toEqual([['r1', ['b']]]);
    // Two of b's three run: b can elect, and votes.
    expect(firstElectionWaits(two, born(['a1']), new Set(['a1', 'b1', 'b2']), NONE, recorded).regions.size).toBe(0);
  });
});
