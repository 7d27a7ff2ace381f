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
      'not in sync: n1 (older-topology), n4 (failed)',
      "cannot read the sandbox VM's state: n4 (unknown (sudo: a password is required))",
      'sandbox VM not running: n2 (shut off)',
    ]);
    // The commands a hint names are pasted into a shell: the file quoted as one word.
    expect(failures[1]!.hint).toBe("`gridops plan 'my grid'\\''s.yaml' --state-dir /var/lib/ops` shows what differs, `gridops apply 'my grid'\\''s.yaml' --state-dir /var/lib/ops` applies it (a change that restarts or removes a sandbox VM only with --replace-sandbox)");
    // A status run that asked for the sudo password: the commands it suggests ask too.
    const asking = statusFailures(drifted, strict, { file: 'grid.yaml', askBecomePass: true });
    expect(asking[1]!.hint).toBe('`gridops plan grid.yaml --ask-become-pass` shows what differs, `gridops apply grid.yaml --ask-become-pass` applies it (a change that restarts or removes a sandbox VM only with --replace-sandbox)');
  });

  it('--strict: a node whose workflow deploys the agent, where no agent or another version runs than the state records, each named', () => {
    const deployed = { agentExpected: { recordedVersion: '1.0.0' } };
    const status = grid([
      node('n1', deployed),
      node('n2', { ...deployed, agentVersion: null }),
      node('n3', { ...deployed, agentVersion: '0.9.0' }),
      // never applied: no agent expected (expected-agent.ts); the not-in-sync failure already says so
      node('n4', { agentVersion: null, applied: 'never' }),
      // a state written before the version was recorded after a deploy: any running version matches
      node('n6', { agentExpected: { recordedVersion: null }, agentVersion: '0.1.0' }),
      // unreachable: its facts are unknown
      node('n5', { ...deployed, agentVersion: null, reachable: false }),
    ]);
    expect(messages(status, plain)).toEqual(['unreachable: n5']);
    const failures = statusFailures(status, strict, { file: 'grid.yaml' });
    expect(failures.map((f) => f.message)).toEqual([
      'unreachable: n5',
      'not in sync: n4 (never)',
      'agent not as last applied: n2 (not installed; the state records 1.0.0), n3 (0.9.0 installed; the state records 1.0.0)',
    ]);
    expect(failures[2]!.hint).toBe('something removed or replaced gridagent since the last apply: `gridops apply grid.yaml` deploys it again');
  });

  it('--wait or --strict: a sub-grid whose reachable nodes ran the agent and run none now fails, named; not by default, nor one not deployed yet', () => {
    const gone = { agentExpected: { recordedVersion: '1.0.0' }, agentVersion: null };
    const status = grid([
      node('a1', { subgrid: 's1' }),
      node('b1', { ...gone, subgrid: 's2' }),
      node('b2', { ...gone, subgrid: 's2', reachable: false }),
      // a sub-grid none of whose nodes answered: the unreachable failure says why
      node('c1', { ...gone, subgrid: 's3', reachable: false }),
      // a sub-grid the topology gained and no apply reached yet: nothing expected there
      node('d1', { agentVersion: null, applied: 'never', subgrid: 's4' }),
    ]);
    expect(messages(status, plain)).toEqual(['unreachable: b2, c1']);
    const failure = 'no agent runs in sub-grid r1/s2: no super peer can be elected there';
    expect(messages(status, { strict: false, waited: true })).toEqual(['unreachable: b2, c1', failure]);
    expect(messages(status, strict)).toEqual(['unreachable: b2, c1', failure, 'not in sync: d1 (never)', 'agent not as last applied: b1 (not installed; the state records 1.0.0)']);
    expect(statusFailures(status, strict, { file: 'grid.yaml' })[1]!.hint).toBe('`gridops apply grid.yaml` deploys the agents');
  });

  it('--json prints no table: the hints point at the fields of each node instead', () => {
    const status = grid([node('n1', { reachable: false, applied: 'never' }), node('n2')], ['r1/s1: n2 has no super peer']);
    const hints = (json: boolean) => statusFailures(status, { strict: false, waited: true }, { file: 'grid.yaml', json }).map((f) => f.hint);
    expect(hints(false)).toEqual([
      'the table above says why for each; check that the host is up and sshd listens on its port',
      "the table above gives each agent's view; a node whose agent does not answer needs `gridops apply grid.yaml`",
    ]);
    expect(hints(true)).toEqual([
      "each node's `error` says why; check that the host is up and sshd listens on its port",
      "each node's `agent` gives its agent's view; a node whose agent does not answer needs `gridops apply grid.yaml`",
    ]);
    for (const hint of hints(true)) expect(hint).not.toMatch(/table/);
  });

  it('a grid whose workflow deploys no agent, where none runs, has nothing to converge', () => {
    const { overlay: _, ...noAgents } = grid([node('n1', { agentVersion: null })]);
    expect(messages(noAgents, strict)).toEqual([]);
  });
  it('an agent that left the grid: the hint says gridagent rejoin, which apply cannot do (review s44 item 2)', () => {
    const left = grid([node('n1'), node('n2', { agent: { role: 'left', leftAt: '2026-12-06T08:00:00.000Z', term: 0, superPeer: null, regionPeer: null, members: 0 } })], ['n2: its agent left the grid (gridagent leave) at 2026-12-06T08:00:00.000Z and stays idle: run `gridagent rejoin` on it, then `systemctl restart gridagent`']);
    const [failure] = statusFailures(left, { strict: false, waited: true }, { file: 'grid.yaml' });
    expect(failure!.hint).toContain('n2 left the grid: `gridagent rejoin` on it, then `systemctl restart gridagent` (apply cannot: the marker the leave wrote keeps the agent idle)');
  });
});
