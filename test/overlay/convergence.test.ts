import type { AgentView } from '../../src/overlay/agent-view.js';
import { overlayAgreement, type AgentAnswer } from '../../src/overlay/convergence.js';

const view = (role: string, superPeer: string | null, extra: Partial<AgentView> = {}): AgentView => ({ role, term: 2, superPeer, regionPeer: null, members: 0, ...extra });
const answer = (node: string, subgrid: string, v: AgentView, region = 'r1'): AgentAnswer => ({ node, region, subgrid, view: v });

/** Two sub-grids of one region, converged: a1 leads s1 and is region peer, b1 leads s2. */
const converged = (): AgentAnswer[] => [
  answer('a1', 's1', view('super-peer', 'a1', { regionRole: 'region-peer', regionPeer: 'a1' })),
  answer('a2', 's1', view('mirror', 'a1')),
  answer('a3', 's1', view('member', 'a1')),
  answer('b1', 's2', view('super-peer', 'b1', { regionPeer: 'a1' })),
  answer('b2', 's2', view('member', 'b1')),
];

describe('overlayAgreement: has the overlay converged, from the agents own views', () => {
  it('agrees on one super peer per sub-grid and one region peer per region', () => {
    expect(overlayAgreement(converged())).toEqual({ converged: true, superPeers: { 'r1/s1': 'a1', 'r1/s2': 'b1' }, regionPeers: { r1: 'a1' }, waitingFor: [] });
  });

  it('waits for a node that has not joined or does not answer', () => {
    const answers = converged();
    answers[2] = answer('a3', 's1', view('searching', null));
    answers[4] = answer('b2', 's2', view('not answering', null));
    const r = overlayAgreement(answers);
    expect(r.converged).toBe(false);
    expect(r.waitingFor).toEqual(['a3: searching', 'b2: not answering']);
  });

  it('a node that has not joined names no super peer: it is not one of "different super peers (n1, none)" (review finding 6)', () => {
    const r = overlayAgreement([answer('n1', 's1', view('super-peer', 'n1', { regionRole: 'region-peer', regionPeer: 'n1' })), answer('n2', 's1', view('not answering', null))]);
    expect(r).toEqual({ converged: false, superPeers: { 'r1/s1': 'n1' }, regionPeers: { r1: 'n1' }, waitingFor: ['n2: not answering'] });
  });

  it('a sub-grid none of whose nodes joined has no super peer yet', () => {
    const r = overlayAgreement([answer('n1', 's1', view('searching', null)), answer('n2', 's1', view('not answering', null))]);
    expect(r.waitingFor).toEqual(['n1: searching', 'n2: not answering', 'r1/s1: no super peer yet']);
    expect(r.superPeers).toEqual({ 'r1/s1': null });
  });

  it('waits while members follow a super peer that no longer leads (a failover in progress)', () => {
    const answers = converged();
    answers[0] = answer('a1', 's1', view('candidate', null));
    const r = overlayAgreement(answers);
    expect(r.converged).toBe(false);
    expect(r.superPeers['r1/s1']).toBeNull();
  });

  it('waits while two super peers name different region peers', () => {
    const answers = converged();
    answers[3] = answer('b1', 's2', view('super-peer', 'b1', { regionPeer: 'b1', regionRole: 'region-peer' }));
    const r = overlayAgreement(answers);
    expect(r.converged).toBe(false);
    expect(r.waitingFor).toContain('r1: super peers name different region peers (a1, b1)');
  });

  it('a super peer or region peer this run removes is no super peer yet, though the members still name it (review site 2)', () => {
    // a1 was decommissioned: not asked, and its sub-grid has not noticed yet (failure detection takes seconds).
    const answers = converged().filter((a) => a.node !== 'a1');
    const r = overlayAgreement(answers, new Set(['a1']));
    expect(r.converged).toBe(false);
    expect(r.superPeers['r1/s1']).toBeNull();
    expect(r.regionPeers.r1).toBeNull();
    expect(r.waitingFor).toEqual(['r1/s1: no super peer yet (its nodes still follow a1, which this run removes)', 'r1: no region peer yet (its super peers still name a1, which this run removes)']);
    // Not asked but staying (a --limit run): judged by what its nodes say, as before.
    expect(overlayAgreement(answers).converged).toBe(true);
    // The topology no longer has it either: said as removed by this run, not as a stray agent.
    expect(overlayAgreement(answers, new Set(['a1']), undefined, { 'r1/s1': ['a2', 'a3'], 'r1/s2': ['b1', 'b2'] }).waitingFor).toEqual(r.waitingFor);
  });

  it('judges a subset (--limit) by what its nodes say: members only, following a live super peer', () => {
    const r = overlayAgreement([answer('a2', 's1', view('mirror', 'a1')), answer('a3', 's1', view('member', 'a1'))]);
    expect(r).toEqual({ converged: true, superPeers: { 'r1/s1': 'a1' }, regionPeers: {}, waitingFor: [] });
  });
  it('a super peer not in the topology is no super peer, though every node of the sub-grid follows it (review s44 item 1)', () => {
    // n9 was dropped (`gridops state rm`) while down; its host came back with its config and key and won the election.
    const answers = [answer('a1', 'a', view('mirror', 'n9')), answer('a2', 'a', view('member', 'n9'))];
    const r = overlayAgreement(answers, undefined, undefined, { 'r1/a': ['a1', 'a2', 'a3'] });
    expect(r.converged).toBe(false);
    expect(r.superPeers['r1/a']).toBeNull();
    expect(r.waitingFor).toEqual([`r1/a: its nodes follow n9, which is no node of r1/a in the topology (the host of n9 still runs an agent: stop gridagent there, or put n9 back in the topology and ${'`gridops reset FILE --limit n9`'})`]);
    // A topology node of the sub-grid not asked (--limit) is still taken at its members' word.
    expect(overlayAgreement([answer('a2', 'a', view('member', 'a1'))], undefined, undefined, { 'r1/a': ['a1', 'a2', 'a3'] }).converged).toBe(true);
  });

  it('a region peer not in the topology of the region is no region peer (review s44 item 1)', () => {
    const answers = [answer('a1', 'a', view('super-peer', 'a1', { regionPeer: 'x9' })), answer('b1', 'b', view('super-peer', 'b1', { regionPeer: 'x9' }))];
    const r = overlayAgreement(answers, undefined, undefined, { 'r1/a': ['a1'], 'r1/b': ['b1'], 'r2/c': ['x9'] });
    expect(r.converged).toBe(false);
    expect(r.regionPeers.r1).toBeNull();
    expect(r.waitingFor).toEqual([`r1: its super peers name x9 as region peer, which is no node of r1 in the topology (the host of x9 still runs an agent: stop gridagent there, or put x9 back in the topology and ${'`gridops reset FILE --limit x9`'})`]);
    const regionPeerB1 = [answer('a1', 'a', view('super-peer', 'a1', { regionPeer: 'b1' })), answer('b1', 'b', view('super-peer', 'b1', { regionPeer: 'b1', regionRole: 'region-peer' }))];
    expect(overlayAgreement(regionPeerB1, undefined, undefined, { 'r1/a': ['a1'], 'r1/b': ['b1'] }).converged).toBe(true);
  });
  it('an agent that left the grid is waited for with what brings it back: gridagent rejoin, not apply (review s44 item 2)', () => {
    const answers = converged();
    answers[2] = answer('a3', 's1', { role: 'left', leftAt: '2026-12-06T08:00:00.000Z', term: 0, superPeer: null, regionPeer: null, members: 0 });
    const r = overlayAgreement(answers);
    expect(r.converged).toBe(false);
    expect(r.waitingFor).toEqual(['a3: its agent left the grid (gridagent leave) at 2026-12-06T08:00:00.000Z and stays idle: run `gridagent rejoin` on it, then `systemctl restart gridagent`']);
  });
  it('a sub-grid (region) whose first election the state says waits is judged once a leader is named: two are a split, not "not born" (review s44 item 6)', () => {
    const unborn = { subgrids: new Set(['r1/s1']), regions: new Set(['r1']) };
    // Nobody named yet: not judged, as before.
    expect(overlayAgreement([answer('a1', 's1', view('searching', null)), answer('a2', 's1', view('searching', null))], undefined, unborn)).toEqual({ converged: true, superPeers: {}, regionPeers: {}, waitingFor: [] });
    const split = overlayAgreement([answer('a1', 's1', view('super-peer', 'a1', { regionPeer: 'a1', regionRole: 'region-peer' })), answer('a2', 's1', view('super-peer', 'a2', { regionPeer: 'a2', regionRole: 'region-peer' }))], undefined, unborn);
    expect(split.converged).toBe(false);
    expect(split.superPeers['r1/s1']).toBeNull();
    expect(split.regionPeers.r1).toBeNull();
    expect(split.waitingFor).toEqual(['r1/s1: nodes follow different super peers (a1, a2)', 'r1: super peers name different region peers (a1, a2)']);
  });
});

describe('overlayAgreement: the version each agent the run deployed runs', () => {
  const NEW = '0.2.0';
  /** The answers, each agent reporting the version `version` gives it (undefined: none, as an old agent). */
  const on = (answers: AgentAnswer[], version: (node: string) => string | undefined) =>
    answers.map((a) => {
      const v = version(a.node);
      return v === undefined ? a : { ...a, view: { ...a.view, version: v } };
    });

  it('an agent the run deployed that answers another version, or none, is not converged, even in an overlay that agrees', () => {
    const answers = on(converged(), (node) => (node === 'a3' ? '0.1.0' : node === 'b2' ? undefined : NEW));
    const r = overlayAgreement(answers, undefined, undefined, undefined, new Map(['a1', 'a2', 'a3', 'b1', 'b2'].map((n) => [n, NEW])));
    expect(r.converged).toBe(false);
    expect(r.superPeers).toEqual({ 'r1/s1': 'a1', 'r1/s2': 'b1' });
    expect(r.waitingFor).toEqual([
      `a3: its agent runs 0.1.0, not ${NEW}, the version installed there (the old process still runs): run \`systemctl restart gridagent\` on a3, then run the same apply again`,
      `b2: its agent runs an older version that does not report one, not ${NEW}, the version installed there (the old process still runs): run \`systemctl restart gridagent\` on b2, then run the same apply again`,
    ]);
  });

  it('a node the run did not deploy is not judged on its version; one not answering is waited for as that alone', () => {
    const answers = on(converged(), (node) => (node === 'b2' ? '0.1.0' : NEW));
    answers[2] = answer('a3', 's1', view('not answering', null));
    const r = overlayAgreement(answers, undefined, undefined, undefined, new Map([['a1', NEW], ['a3', NEW]]));
    expect(r.waitingFor).toEqual(['a3: not answering']);
  });
});
