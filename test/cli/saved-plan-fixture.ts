import { PLAN_FORMAT, type Plan, type HostPlan } from '../../src/plan/plan.js';

/** A saved plan of the grid workflow's node-base for `/t/grid.yaml`, with these hosts' changes. */
export function savedPlan(hosts: HostPlan[] = []): Plan {
  return {
    format: PLAN_FORMAT,
    createdAt: '2024-01-01T00:00:00.000Z',
    gridopsVersion: '0.1.0',
    topology: { file: '/t/grid.yaml', grid: 'g', sourceHash: 'a'.repeat(64) },
    playbooks: ['node-base'],
    adHocPlaybooks: false,
    hosts,
  };
}
