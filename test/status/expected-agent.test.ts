import { expectedAgent } from '../../src/status/expected-agent.js';
import type { HostState } from '../../src/state/state.js';

const record = (fields: Partial<HostState>) => ({ topologyHash: 'x', playbooks: [], gridopsVersion: '0.1.0', agentVersion: null, appliedAt: '', changesApplied: 0, lastOutcome: 'applied', ...fields }) as HostState;

describe('the agent status expects on a node', () => {
  it('none where the state says the node never ran the agent: no record, never applied, or only other playbooks (`--playbook qos`)', () => {
    expect(expectedAgent(undefined)).toEqual({});
    expect(expectedAgent(record({ lastOutcome: 'failed' }))).toEqual({});
    expect(expectedAgent(record({ playbooks: ['qos'], appliedAt: '2026-12-05T00:00:00Z' }))).toEqual({});
  });

  it('the recorded version where it ran the agent; none recorded in a state from before it was (any running version then matches)', () => {
    expect(expectedAgent(record({ playbooks: ['node-base', 'agent'], agentVersion: '0.1.0', appliedAt: '2026-12-05T00:00:00Z' }))).toEqual({ agentExpected: { recordedVersion: '0.1.0' } });
    expect(expectedAgent(record({ playbooks: ['node-base', 'agent'], appliedAt: '2026-12-05T00:00:00Z' }))).toEqual({ agentExpected: { recordedVersion: null } });
  });
});
