import type { HostState } from '../../src/state/state.js';

/**
 * A state's record of a host the last apply reached and applied (as record-state writes it):
 * placed at 10.0.0.1 in r1/s1 unless `place` says otherwise, with the agent playbook and
 * gridagent 0.1.0 unless `extra` says otherwise.
 */
export function appliedRecord(place: Partial<NonNullable<HostState['node']>> = {}, extra: Partial<HostState> = {}): HostState {
  return {
    node: { address: '10.0.0.1', region: 'r1', subgrid: 's1', user: 'root', port: 22, ...place },
    topologyHash: 'h',
    playbooks: ['agent'],
    gridopsVersion: '0.1.0',
    agentVersion: '0.1.0',
    appliedAt: '2026-12-01T00:00:00.000Z',
    changesApplied: 0,
    lastOutcome: 'applied',
    ...extra,
  };
}
