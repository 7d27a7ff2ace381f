import type { GridStatus, NodeStatus } from '../../src/status/grid-status.js';
import { statusFailures } from '../../src/status/status-failures.js';

const node = (name: string, extra: Partial<NodeStatus> = {}): NodeStatus => ({ node: name, address: '10.0.0.1', region: 'r1', subgrid: 's1', reachable: true, applied: 'in-sync', agentVersion: '1.0.0', ...extra });
const grid = (nodes: NodeStatus[], waitingFor: string[] = []): GridStatus => ({
  grid: 'g',
  nodes,
  reachable: nodes.filter((n) => n.reachable).length,
  inSync: nodes.filter((n) => n.applied === 'in-sync').length,
  superPeers: {},
  regionPeers: {},
  overlay: { converged: waitingFor.length === 0, superPeers: {}, regionPeers: {}, waitingFor },
});
const plain = { strict: false, waited: false };
const strict = { strict: true, waited: false };

describe('why status exits 1', () => {
  it('a healthy grid: no failure, strict or not', () => {
    const ok = grid([node('n1', { sandbox: { state: 'running' } }), node('n2')]);
    expect(statusFailures(ok, plain)).toEqual([]);
    expect(statusFailures(ok, strict)).toEqual([]);
  });

  it('an unreachable node always fails, named', () => {
    expect(statusFailures(grid([node('n1'), node('n2', { reachable: false, applied: 'never' })]), plain)).toEqual(['unreachable: n2']);
  });

  it('an overlay that has not converged fails with --wait or --strict, not by default', () => {
    const split = grid([node('n1')], ['r1/s1: n1 follows n2, n2 follows n1']);
    expect(statusFailures(split, plain)).toEqual([]);
    expect(statusFailures(split, { strict: false, waited: true })).toEqual(['the overlay has not converged: r1/s1: n1 follows n2, n2 follows n1']);
    expect(statusFailures(split, strict)).toEqual(['the overlay has not converged: r1/s1: n1 follows n2, n2 follows n1']);
    const many = grid([node('n1')], ['a', 'b', 'c', 'd', 'e']);
    expect(statusFailures(many, strict)).toEqual(['the overlay has not converged: a; b; c; and 2 more']);
  });

  it('--strict: a reachable node not applied with this topology, and a sandbox VM not running, each named', () => {
    const drifted = grid([node('n1', { applied: 'older-topology' }), node('n2', { sandbox: { state: 'shut off' } }), node('n3', { reachable: false, applied: 'never' })]);
    expect(statusFailures(drifted, plain)).toEqual(['unreachable: n3']);
    expect(statusFailures(drifted, strict)).toEqual(['unreachable: n3', 'not applied with this topology: n1', 'sandbox VM not running: n2 (shut off)']);
  });

  it('a grid where no node runs an agent has nothing to converge', () => {
    const { overlay: _, ...noAgents } = grid([node('n1', { agentVersion: null })]);
    expect(statusFailures(noAgents, strict)).toEqual([]);
  });
});
