import { expectedInSync, syncState } from '../../src/state/expected-in-sync.js';
import type { GridState, HostState } from '../../src/state/state.js';
import { GRIDOPS_VERSION } from '../../src/version.js';

const host = (over: Partial<HostState> = {}): HostState => ({
  topologyHash: 'sha-1',
  playbooks: ['node-base', 'agent'],
  gridopsVersion: GRIDOPS_VERSION,
  agentVersion: null,
  appliedAt: '2026-12-01T00:00:00Z',
  changesApplied: 0,
  lastOutcome: 'unchanged',
  ...over,
});
/** A version above this gridops' (its MAJOR plus one), whatever package.json says. */
const NEWER = `${Number(GRIDOPS_VERSION.split('.')[0]) + 1}.0.0`;
const state = (hosts: Record<string, HostState>): GridState => ({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts });

describe('expectedInSync: whether an apply expects to find a host with nothing to change', () => {
  it('is true for a host last applied, or found unchanged, from the same topology, playbooks and gridops', () => {
    expect(expectedInSync(state({ n1: host() }), 'n1', 'sha-1', ['node-base', 'agent'])).toBe(true);
    expect(expectedInSync(state({ n1: host({ lastOutcome: 'applied' }) }), 'n1', 'sha-1', ['node-base', 'agent'])).toBe(true);
  });

  it('is false for a new host, a failed or skipped one, another topology, other playbooks or another gridops', () => {
    const refs = ['node-base', 'agent'];
    expect(expectedInSync(state({}), 'n1', 'sha-1', refs)).toBe(false);
    expect(expectedInSync(state({ n1: host({ lastOutcome: 'failed' }) }), 'n1', 'sha-1', refs)).toBe(false);
    expect(expectedInSync(state({ n1: host({ lastOutcome: 'skipped' }) }), 'n1', 'sha-1', refs)).toBe(false);
    expect(expectedInSync(state({ n1: host() }), 'n1', 'sha-2', refs)).toBe(false);
    expect(expectedInSync(state({ n1: host() }), 'n1', 'sha-1', ['node-base'])).toBe(false);
    expect(expectedInSync(state({ n1: host() }), 'n1', 'sha-1', ['agent', 'node-base'])).toBe(false);
    expect(expectedInSync(state({ n1: host({ gridopsVersion: '0.0.1' }) }), 'n1', 'sha-1', refs)).toBe(false);
    expect(expectedInSync(state({ n1: host({ gridopsVersion: NEWER }) }), 'n1', 'sha-1', refs)).toBe(false);
  });

  it('is false for a host that owes handlers of a failed run (kept by a run of other playbooks): its apply runs them', () => {
    expect(expectedInSync(state({ n1: host({ lastOutcome: 'applied', pendingHandlers: ['restart-gridagent'] }) }), 'n1', 'sha-1', ['node-base', 'agent'])).toBe(false);
  });
});

describe('syncState: why a host is not in sync, the one definition apply and status share', () => {
  const refs = ['node-base', 'agent'];
  it('says in-sync exactly where expectedInSync is true', () => {
    expect(syncState(host(), 'sha-1', refs)).toBe('in-sync');
    expect(syncState(host({ lastOutcome: 'applied' }), 'sha-1', refs)).toBe('in-sync');
  });

  it('names each reason: never, failed, skipped, handlers owed, another topology, other playbooks, another gridops', () => {
    expect(syncState(undefined, 'sha-1', refs)).toBe('never');
    // A first apply that failed recorded no success: never applied, as status always said.
    expect(syncState(host({ lastOutcome: 'failed', appliedAt: '' }), 'sha-1', refs)).toBe('never');
    expect(syncState(host({ lastOutcome: 'failed' }), 'sha-1', refs)).toBe('failed');
    expect(syncState(host({ lastOutcome: 'skipped' }), 'sha-1', refs)).toBe('skipped');
    expect(syncState(host({ pendingHandlers: ['restart-gridagent'] }), 'sha-1', refs)).toBe('handlers-owed');
    expect(syncState(host(), 'sha-2', refs)).toBe('older-topology');
    expect(syncState(host(), 'sha-1', ['agent', 'node-base'])).toBe('other-playbooks');
    expect(syncState(host({ gridopsVersion: '0.0.1' }), 'sha-1', refs)).toBe('older-gridops');
  });

  it('tells a newer gridops from an older one by version, not by text: advice to apply would downgrade a newer one', () => {
    expect(syncState(host({ gridopsVersion: NEWER }), 'sha-1', refs)).toBe('newer-gridops');
    expect(syncState(host({ gridopsVersion: `${GRIDOPS_VERSION}-rc.1` }), 'sha-1', refs)).toBe('older-gridops');
    const [major, minor, patch] = GRIDOPS_VERSION.split('.').map(Number);
    // 0.10.0 after 0.9.0: numbers, where a text comparison says the opposite.
    expect(syncState(host({ gridopsVersion: `${major}.${minor! + 10}.0` }), 'sha-1', refs)).toBe('newer-gridops');
    expect(syncState(host({ gridopsVersion: `${major}.${minor}.${patch! + 1}-rc.1` }), 'sha-1', refs)).toBe('newer-gridops');
  });

  it('calls a recorded version it cannot order (not MAJOR.MINOR.PATCH, or another build of this version) older: applying with this gridops records a readable one', () => {
    expect(syncState(host({ gridopsVersion: 'dev' }), 'sha-1', refs)).toBe('older-gridops');
    expect(syncState(host({ gridopsVersion: `${GRIDOPS_VERSION}+other-build` }), 'sha-1', refs)).toBe('older-gridops');
  });

  it('owed handlers come before the topology and playbooks: a run of other playbooks keeps them, and they are what status could not show otherwise', () => {
    expect(syncState(host({ pendingHandlers: ['restart-gridagent'], playbooks: ['qos'] }), 'sha-2', refs)).toBe('handlers-owed');
  });

  it('a newer gridops comes first, over every other reason: this gridops cannot judge its record, and refuses to plan or apply over it', () => {
    expect(syncState(host({ topologyHash: 'OLD', gridopsVersion: NEWER }), 'NEW', refs)).toBe('newer-gridops');
    expect(syncState(host({ gridopsVersion: NEWER }), 'sha-1', ['node-base'])).toBe('newer-gridops');
    expect(syncState(host({ gridopsVersion: NEWER, lastOutcome: 'failed' }), 'sha-1', refs)).toBe('newer-gridops');
    expect(syncState(host({ gridopsVersion: NEWER, lastOutcome: 'skipped' }), 'sha-1', refs)).toBe('newer-gridops');
    expect(syncState(host({ gridopsVersion: NEWER, pendingHandlers: ['restart-gridagent'] }), 'sha-1', refs)).toBe('newer-gridops');
    // A newer gridops' failed first run recorded no success, but it worked on the host, and this
    // gridops refuses to plan over its record: `never`, whose advice is an apply, would be refused.
    expect(syncState(host({ gridopsVersion: NEWER, lastOutcome: 'failed', appliedAt: '' }), 'sha-1', refs)).toBe('newer-gridops');
    // This gridops' (or an older one's) failed first run is still never applied.
    expect(syncState(host({ gridopsVersion: '0.0.1', lastOutcome: 'failed', appliedAt: '' }), 'sha-1', refs)).toBe('never');
  });

  it('another topology or other playbooks come before an older gridops: they are what the user changed', () => {
    expect(syncState(host({ gridopsVersion: '0.0.1' }), 'sha-2', refs)).toBe('older-topology');
    expect(syncState(host({ gridopsVersion: '0.0.1' }), 'sha-1', ['node-base'])).toBe('other-playbooks');
  });
});
