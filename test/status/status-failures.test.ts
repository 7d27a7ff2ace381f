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
const messages = (status: GridStatus, flags: { strict: boolean; waited: boolean }) => statusFailures(status, flags, { file: 'grid.yaml' }).map((f) => f.message);

describe('why status exits 1', () => {
  it('a healthy grid: no failure, strict or not', () => {
    const ok = grid([node('n1', { sandbox: { state: 'running' } }), node('n2')]);
    expect(messages(ok, plain)).toEqual([]);
    expect(messages(ok, strict)).toEqual([]);
  });

  it('an unreachable node always fails, named', () => {
    expect(messages(grid([node('n1'), node('n2', { reachable: false, applied: 'never' })]), plain)).toEqual(['unreachable: n2']);
  });

  it('an overlay that has not converged fails with --wait or --strict, not by default; without --wait the hint says to wait', () => {
    const split = grid([node('n1')], ['r1/s1: n1 follows n2, n2 follows n1']);
    expect(messages(split, plain)).toEqual([]);
    expect(messages(split, { strict: false, waited: true })).toEqual(['the overlay has not converged: r1/s1: n1 follows n2, n2 follows n1']);
    const [failure] = statusFailures(split, strict, { file: 'grid.yaml' });
    expect(failure).toEqual({ message: 'the overlay has not converged: r1/s1: n1 follows n2, n2 follows n1', hint: 'an election may be under way: `--wait 10s` waits for the agents to agree' });
    expect(messages(grid([node('n1')], ['a', 'b', 'c', 'd', 'e']), strict)).toEqual(['the overlay has not converged: a; b; c; and 2 more']);
  });

  it('--strict: a reachable node not applied with this topology (with its state), and a sandbox VM not running or unreadable, each named', () => {
    const drifted = grid([
      node('n1', { applied: 'older-topology' }),
      node('n2', { sandbox: { state: 'shut off' } }),
      node('n3', { reachable: false, applied: 'never' }),
      node('n4', { applied: 'failed', sandbox: { state: 'unknown (sudo: a password is required)' } }),
    ]);
    expect(messages(drifted, plain)).toEqual(['unreachable: n3']);
    const failures = statusFailures(drifted, strict, { file: "my grid's.yaml", stateDir: '/var/lib/ops' });
    expect(failures.map((f) => f.message)).toEqual([
      'unreachable: n3',
      'not applied with this topology: n1 (older-topology), n4 (failed)',
      "cannot read the sandbox VM's state: n4 (unknown (sudo: a password is required))",
      'sandbox VM not running: n2 (shut off)',
    ]);
    // The commands a hint names are pasted into a shell: the file quoted as one word.
    expect(failures[1]!.hint).toBe("`gridops plan 'my grid'\\''s.yaml' --state-dir /var/lib/ops` shows what differs, `gridops apply 'my grid'\\''s.yaml' --state-dir /var/lib/ops` applies it (a change that restarts or removes a sandbox VM only with --replace-sandbox)");
  });

  it('a grid where no node runs an agent has nothing to converge', () => {
    const { overlay: _, ...noAgents } = grid([node('n1', { agentVersion: null })]);
    expect(messages(noAgents, strict)).toEqual([]);
  });
});
