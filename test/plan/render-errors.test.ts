import { assemblePlan } from '../../src/engine/planner.js';
import { ConnectionError } from '../../src/errors/index.js';
import type { Node } from '../../src/topology/model.js';
import { PLAN_FORMAT, type HostPlan, type Plan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/plan/render.js';

const UP = 'check that the host is up and sshd listens on that port';
const KEY = 'verify this fingerprint out of band';

const host = (i: number, error?: HostPlan['error']): HostPlan => ({ host: `node-${i}`, address: `10.0.0.${i}`, playbooks: [], changes: [], notes: [], handlers: [], ...(error ? { error } : {}) });
const plan = (hosts: HostPlan[]): Plan => ({ format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't.yaml', grid: 'g', sourceHash: '' }, playbooks: [], adHocPlaybooks: false, hosts });
const unreachable = (i: number, hint = UP): HostPlan => host(i, { kind: 'unreachable', message: `cannot connect to 10.0.0.${i}:22`, hint });

describe("a plan's host errors", () => {
  it('a hint several hosts share is said once, after the hosts, with enough of their names to find them', () => {
    const text = renderPlan(plan([unreachable(1), unreachable(2), host(3), unreachable(4), unreachable(5), unreachable(6), unreachable(7, KEY)]));
    const lines = text.split('\n');
    expect(lines.filter((l) => l.includes(UP))).toEqual([`hint for node-1, node-2, node-4 and 2 more hosts: ${UP}`]);
    // A hint of one host stays under it.
    expect(lines[lines.indexOf('  x unreachable: cannot connect to 10.0.0.7:22') + 1]).toBe(`      hint: ${KEY}`);
    expect(lines.at(-2)).toBe(`hint for node-1, node-2, node-4 and 2 more hosts: ${UP}`);
    expect(renderPlan(plan([unreachable(1), unreachable(2)]))).toContain(`hint for node-1 and node-2: ${UP}`);
  });

  it('the last line counts the hosts with errors as a person says it', () => {
    expect(renderPlan(plan([unreachable(1), host(2)])).split('\n').at(-1)).toBe('Plan: 0 to create, 0 to change, 0 to remove, 0 to run, on 0 of 2 hosts; 1 host with errors.');
    expect(renderPlan(plan([unreachable(1), unreachable(2)])).split('\n').at(-1)).toBe('Plan: 0 to create, 0 to change, 0 to remove, 0 to run, on 0 of 2 hosts; 2 hosts with errors.');
  });

  it("an unreachable host's line names it once: the message's own host prefix is dropped", () => {
    const node = { name: 'node-1', address: '10.0.0.1' } as Node;
    const grid = { name: 'g', regions: [{ name: 'r', subgrids: [{ name: 's', nodes: [node] }] }] } as unknown as Parameters<typeof assemblePlan>[0];
    const error = new ConnectionError('node-1', 'cannot connect to 10.0.0.1:22 after 4 attempts: connect ECONNREFUSED', UP);
    const assembled = assemblePlan(grid, [], [{ node, error }], { refs: [], adHoc: false });
    expect(assembled.hosts[0]!.error).toEqual({ kind: 'unreachable', message: 'cannot connect to 10.0.0.1:22 after 4 attempts: connect ECONNREFUSED', hint: UP });
  });

  it('a node to decommission that was not reached is retried by the next run of the same command: apply by apply, reset by reset', () => {
    const gone: HostPlan = { ...unreachable(2), decommission: true };
    expect(renderPlan(plan([gone]))).toContain('node-2 (10.0.0.2) DECOMMISSION, not reached: it stays in the state, and the next apply tries again');
    expect(renderPlan(plan([gone]), { command: 'reset' })).toContain('node-2 (10.0.0.2) DECOMMISSION, not reached: it stays in the state, and the next reset tries again');
  });

  it('a reset of a node the state has no record of never says it stays in or leaves the state: there is nothing to forget', () => {
    const unrecorded: HostPlan = { ...unreachable(2), decommission: true, unrecorded: true };
    const text = renderPlan(plan([unrecorded]), { command: 'reset' });
    expect(text).toContain('node-2 (10.0.0.2) DECOMMISSION, not reached: the state has no record of it (never applied), and the next reset tries again');
    expect(text).not.toContain('stays in the state');
    const reached: HostPlan = { ...host(3), changes: [{ kind: 'command', id: 'command x', action: 'run', fields: [], command: 'true' } as unknown as HostPlan['changes'][number]], decommission: true, unrecorded: true };
    const said = renderPlan(plan([reached]), { command: 'reset' });
    expect(said).toContain('node-3 (10.0.0.3) DECOMMISSION: gridops is removed from this node (the state has no record of it: nothing to forget)');
    expect(said).not.toContain('the state forgets it');
  });
});
