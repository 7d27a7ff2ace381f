import { expectedInSync } from '../../src/state/expected-in-sync.js';
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
  });

  it('is false for a host that owes handlers of a failed run (kept by a run of other playbooks): its apply runs them', () => {
    expect(expectedInSync(state({ n1: host({ lastOutcome: 'applied', pendingHandlers: ['restart-gridagent'] }) }), 'n1', 'sha-1', ['node-base', 'agent'])).toBe(false);
  });
});
