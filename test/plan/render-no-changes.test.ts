import { PLAN_FORMAT, type HostPlan, type Plan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/plan/render.js';

const plan = (hosts: number): Plan => ({
  format: PLAN_FORMAT,
  createdAt: '',
  gridopsVersion: '',
  topology: { file: 't.yaml', grid: 'g', sourceHash: '' },
  playbooks: [],
  adHocPlaybooks: false,
  hosts: Array.from({ length: hosts }, (_, i): HostPlan => ({ host: `node-${i}`, address: `10.0.0.${i + 1}`, playbooks: [], changes: [], notes: [], handlers: [] })),
});

describe('a plan with nothing to do', () => {
  it('says how many hosts match, in the number the count asks for', () => {
    expect(renderPlan(plan(1))).toContain('No changes. 1 host matches the topology.');
    expect(renderPlan(plan(3))).toContain('No changes. 3 hosts match the topology.');
  });

  it('a reset with nothing to remove speaks of reset, not of matching the topology', () => {
    const text = renderPlan(plan(1), { command: 'reset' });
    expect(text.split('\n').at(-1)).toBe('Nothing to reset: nothing gridops installs is on 1 host.');
    expect(text).not.toContain('topology');
    expect(renderPlan(plan(3), { command: 'reset' }).split('\n').at(-1)).toBe('Nothing to reset: nothing gridops installs is on 3 hosts.');
  });
});
