import { knownAgentNodes } from '../../src/phases/known-agent-nodes.js';
import type { RunContext } from '../../src/phases/run-context.js';
import { allNodes, type Node } from '../../src/topology/model.js';
import { gridOf } from '../resources/fixtures.js';

describe('the nodes a run takes a super peer from (review s44 item 1)', () => {
  it("the topology's, a node it decommissions (reached or not) and a renamed node's old name", () => {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2b, address: 10.0.0.2 }] }] }]\n');
    const [a1] = allNodes(grid);
    // a3 and a4 are no longer in the topology, still in the state: one reached, one down.
    const a3: Node = { ...a1!, name: 'a3', address: '10.0.0.3' };
    const a4: Node = { ...a1!, name: 'a4', address: '10.0.0.4' };
    const ctx = {
      grid,
      planned: [{ session: { node: a1 } }, { session: { node: a3 } }] as unknown as RunContext['planned'],
      unreachable: [{ node: a4, error: new Error('down') }],
      renamed: new Map([['a2', 'a2b']]),
    };
    expect(knownAgentNodes(ctx, { hosts: {} })).toEqual({ 'r1/a': ['a1', 'a2b', 'a3', 'a4', 'a2'] });
  });

  it('a node the state still records that this run leaves alone (dropped, kept for a full apply by --limit): its agent may lead until then', () => {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }, { name: a2, address: 10.0.0.2 }] }] }]\n');
    const [a1] = allNodes(grid);
    const ctx = { grid, planned: [{ session: { node: a1 } }] as unknown as RunContext['planned'], unreachable: [], renamed: new Map<string, string>() };
    const recorded = { hosts: { a3: { node: { region: 'r1', subgrid: 'a' } } } } as unknown as Parameters<typeof knownAgentNodes>[1];
    expect(knownAgentNodes(ctx, recorded)).toEqual({ 'r1/a': ['a1', 'a2', 'a3'] });
    // A record from before the state kept where a node was (no node field) places nothing.
    expect(knownAgentNodes(ctx, { hosts: { a3: {} } } as unknown as Parameters<typeof knownAgentNodes>[1])).toEqual({ 'r1/a': ['a1', 'a2'] });
  });
});
