import { pollOverlay } from '../../src/overlay/poll.js';
import type { HostSession } from '../../src/facts/host-session.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, smallGrid } from '../resources/fixtures.js';
import { allNodes } from '../../src/topology/model.js';
import { ASK_AGENT, agentAnswer } from './agent-answer.js';

/** The agent's /status answer, for a node that follows `leader`. */
const agentStatus = (self: string, leader: string | null) =>
  agentAnswer(JSON.stringify({ role: leader === self ? 'leader' : leader === null ? 'searching' : 'member', regionRole: leader === self ? 'leader' : 'inactive', term: 1, superPeer: leader, regionPeer: leader === self ? self : null, members: [] }));

describe('pollOverlay: the one loop that asks the agents until they agree', () => {
  const nodes = allNodes(smallGrid());
  /** One session per node, whose agent answers with `answer(node)` each time it is asked. */
  const sessionsAnswering = (answer: (node: string) => { code: number; stdout?: string; stderr?: string }): HostSession[] =>
    nodes.map((node) => ({ node, facts: facts(), transport: new RecordingTransport(node.name).on(ASK_AGENT, () => answer(node.name)) }));

  it('polls until the agents agree, over the given connections, and reports what they agreed on', async () => {
    let asked = 0;
    const sessions = sessionsAnswering((node) => {
      asked++;
      // The first two rounds: still searching (the agents just started).
      return { code: 0, stdout: agentStatus(node, asked <= 4 ? null : 'n1') };
    });
    const r = await pollOverlay(sessions, { concurrency: 10, deadline: Date.now() + 10_000 });
    expect(r.agreement).toMatchObject({ converged: true, superPeers: { 'r1/s1': 'n1' }, regionPeers: { r1: 'n1' }, waitingFor: [] });
    expect(r.answers.map((a) => a.node)).toEqual(['n1', 'n2']);
    expect(asked).toBe(6);
    expect(r.ms).toBeGreaterThanOrEqual(900);
  });

  it('gives up at the deadline and says what it was waiting for', async () => {
    const sessions = sessionsAnswering((node) => (node === 'n2' ? { code: 7, stderr: 'connection refused' } : { code: 0, stdout: agentStatus(node, 'n1') }));
    const r = await pollOverlay(sessions, { concurrency: 10, deadline: Date.now() + 1200 });
    expect(r.agreement.converged).toBe(false);
    expect(r.agreement.waitingFor).toEqual(['n2: not answering']);
    expect(r.ms).toBeLessThan(3000);
  });

  it('asks once when there is no deadline', async () => {
    let asked = 0;
    const sessions = sessionsAnswering((node) => (asked++, { code: 0, stdout: agentStatus(node, null) }));
    const r = await pollOverlay(sessions, { concurrency: 10 });
    expect(asked).toBe(2);
    expect(r.agreement.converged).toBe(false);
  });

  it('with stableForMs, a converged overlay must keep the same super peer that long: a change restarts the wait', async () => {
    let round = 0;
    // Rounds 1-2 agree on n1, rounds 3-4 on n2 (a handover), then n2 stays.
    const sessions = sessionsAnswering((node) => {
      round += node === 'n1' ? 1 : 0;
      return { code: 0, stdout: agentStatus(node, round <= 2 ? 'n1' : 'n2') };
    });
    const t0 = Date.now();
    const r = await pollOverlay(sessions, { concurrency: 10, deadline: Date.now() + 10_000, stableForMs: 1200 });
    expect(r.agreement).toMatchObject({ converged: true, superPeers: { 'r1/s1': 'n2' } });
    // n2 first seen at the 3rd ask (+1.0 s), then held for 1.2 s.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
  });

  it('with stableForMs, an overlay that converged too late to settle before the deadline is reported as not stable', async () => {
    const sessions = sessionsAnswering((node) => ({ code: 0, stdout: agentStatus(node, 'n1') }));
    const r = await pollOverlay(sessions, { concurrency: 10, deadline: Date.now() + 600, stableForMs: 5000 });
    expect(r.agreement.converged).toBe(false);
    expect(r.agreement.waitingFor).toEqual([expect.stringMatching(/^the same super and region peers for 5 s \(held \d\.\d s so far\)$/)]);
  });
  it('Ctrl-C ends it within ~100 ms, though no agent ever answers (review s44 item 4)', async () => {
    // The worst case: an exec that ignores its signal and never settles (a stuck SSH channel).
    const stuck = { exec: () => new Promise<never>(() => {}) } as unknown as HostSession['transport'];
    const sessions: HostSession[] = nodes.map((node) => ({ node, facts: facts(), transport: stuck }));
    const ctrlC = new AbortController();
    setTimeout(() => ctrlC.abort(), 200);
    const t0 = Date.now();
    const r = await pollOverlay(sessions, { concurrency: 10, deadline: Date.now() + 30_000, signal: ctrlC.signal });
    expect(Date.now() - t0).toBeLessThan(400);
    expect(r.agreement.converged).toBe(false);
  });

  it('an agent that never answers does not hold the poll past its deadline (review s44 item 4)', async () => {
    const stuck = { exec: (_: string, o: { timeoutMs?: number }) => new Promise((resolve) => setTimeout(() => resolve({ code: 124, stdout: '', stderr: 'timeout' }), o.timeoutMs ?? 60_000)) } as unknown as HostSession['transport'];
    const sessions: HostSession[] = nodes.map((node) => ({ node, facts: facts(), transport: stuck }));
    const t0 = Date.now();
    await pollOverlay(sessions, { concurrency: 10, deadline: Date.now() + 1500 });
    expect(Date.now() - t0).toBeLessThan(2_500);
  });
});
