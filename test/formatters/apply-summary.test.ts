import type { HostOutcome } from '../../src/engine/applier.js';
import { formatApplySummary } from '../../src/formatters/apply-summary.js';
import type { ApplyResult } from '../../src/phases/apply-outcome.js';

const result = (hosts: HostOutcome[], unreachable: ApplyResult['unreachable'] = []): ApplyResult => ({ grid: 'g', counts: { create: 0, update: 0, delete: 0, run: 0, hostsWithChanges: 0, hostsWithErrors: 0 }, hosts, unreachable, ms: 1200 });

describe("apply's closing lines", () => {
  it("reset's first line speaks of reset, not of apply", () => {
    const none = formatApplySummary(result([{ host: 'a', status: 'unchanged', applied: 0 }]), 'reset');
    expect(none.split('\n')[0]).toBe('Reset: nothing to reset on 1 host, in 1.2 s.');
    const some = formatApplySummary(result([{ host: 'a', status: 'applied', applied: 3 }, { host: 'b', status: 'unchanged', applied: 0 }]), 'reset');
    expect(some.split('\n')[0]).toBe('Reset: 3 changes on 1 host, 1 with nothing to reset, in 1.2 s.');
    expect(some).not.toContain('Apply');
  });

  it('count changes and hosts as a person says them', () => {
    const one = formatApplySummary(result([{ host: 'a', status: 'applied', applied: 1 }]));
    expect(one.split('\n')[0]).toBe('Apply: 1 change on 1 host, 0 unchanged, in 1.2 s.');
    expect(one.split('\n').at(-1)).toBe('  1 host: 1 changed, 0 unchanged, 0 failed, 0 skipped, 0 unreachable');
    const two = formatApplySummary(result([{ host: 'a', status: 'applied', applied: 2 }, { host: 'b', status: 'applied', applied: 1 }]));
    expect(two.split('\n')[0]).toBe('Apply: 3 changes on 2 hosts, 0 unchanged, in 1.2 s.');
    expect(two.split('\n').at(-1)).toBe('  2 hosts: 2 changed, 0 unchanged, 0 failed, 0 skipped, 0 unreachable');
  });

  it('count the commands skipped by their guard as they were to run in the recap (said on their own line as they went), as no change', () => {
    const text = formatApplySummary(result([{ host: 'a', status: 'applied', applied: 1, skipped: [{ id: 'command init', reason: '/var/lib/x exists' }] }, { host: 'bb', status: 'unchanged', applied: 0 }]));
    expect(text.split('\n')[0]).toBe('Apply: 1 change on 1 host, 1 unchanged, in 1.2 s.');
    expect(text).not.toContain('command init');
    expect(text).toContain('\n  a   changed    changes=1  skipped=1\n  bb  unchanged  changes=0\n');
  });

  it('count the agents of the overlay line the same way', () => {
    const overlay = (nodes: number, converged = true) => ({ converged, superPeers: { 'r/s': 'a' }, regionPeers: {}, waitingFor: [], nodes, ms: 1500, verifiedAt: '2026-12-01T00:00:00.000Z' });
    const line = (r: ApplyResult) => formatApplySummary(r).split('\n').find((l) => l.startsWith('Overlay:'));
    expect(line({ ...result([{ host: 'a', status: 'applied', applied: 1 }]), overlay: overlay(1) })).toBe('Overlay: converged in 1.5 s (1 agent).');
    expect(line({ ...result([]), overlay: overlay(2, false) })).toBe('Overlay: NOT converged after 1.5 s (2 agents).');
  });
});
