import { join } from 'node:path';
import { recordRanAgent, nodesWithAgent } from '../../src/state/nodes-with-agent.js';
import type { GridState, HostState } from '../../src/state/state.js';
import { BUILTIN_PLAYBOOKS_DIR } from '../../src/topology/playbook-reference.js';

/** Only the fields the rule reads; the rest of a record does not matter to it. */
const record = (fields: Pick<HostState, 'agentVersion' | 'playbooks' | 'appliedAt'>) => fields as HostState;

describe('recordRanAgent: the one rule for "the state says this host ran gridagent"', () => {
  it('counts a host recorded with an agent version, whatever it last applied (an ad-hoc qos run keeps it)', () => {
    expect(recordRanAgent(record({ agentVersion: '0.1.0', playbooks: ['qos'], appliedAt: '2026-12-05T00:00:00Z' }))).toBe(true);
  });

  it('counts a host whose last successful apply ran the agent playbook, named or by the built-in file', () => {
    expect(recordRanAgent(record({ agentVersion: null, playbooks: ['node-base', 'agent'], appliedAt: '2026-12-05T00:00:00Z' }))).toBe(true);
    expect(recordRanAgent(record({ agentVersion: null, playbooks: [join(BUILTIN_PLAYBOOKS_DIR, 'agent.yaml')], appliedAt: '2026-12-05T00:00:00Z' }))).toBe(true);
  });

  it('does not count a host never applied (a first apply that failed before its agent), nor one that ran other playbooks', () => {
    expect(recordRanAgent(record({ agentVersion: null, playbooks: [], appliedAt: '' }))).toBe(false);
    expect(recordRanAgent(record({ agentVersion: null, playbooks: ['agent'], appliedAt: '' }))).toBe(false);
    expect(recordRanAgent(record({ agentVersion: null, playbooks: ['node-base', 'qos'], appliedAt: '2026-12-05T00:00:00Z' }))).toBe(false);
  });

  it('is what nodesWithAgent selects by', () => {
    const state = {
      version: 1,
      grid: 'g',
      hosts: {
        a: record({ agentVersion: null, playbooks: [join(BUILTIN_PLAYBOOKS_DIR, 'agent.yaml')], appliedAt: '2026-12-05T00:00:00Z' }),
        b: record({ agentVersion: null, playbooks: ['agent'], appliedAt: '' }),
        c: record({ agentVersion: '0.1.0', playbooks: [], appliedAt: '' }),
      },
    } as unknown as GridState;
    expect([...nodesWithAgent(state)].sort()).toEqual(['a', 'c']);
  });
});
