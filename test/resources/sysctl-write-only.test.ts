import { execSync } from 'node:child_process';
import { PlanningError } from '../../src/errors/index.js';
import { SysctlResource } from '../../src/resources/sysctl.js';
import { node } from './fixtures.js';

/** A sysctl never reads facts (ignoresFacts). */
const ctx = { node: node(), facts: undefined as never };
const S = '@@gridops-probe-section@@\n';

/**
 * A write-only parameter (mode 0200: net.ipv4.route.flush, vm.compact_memory) cannot be read back,
 * even by root, so no plan could find it set: a trigger for a command entry, not a setting to converge.
 */
describe('sysctl: a write-only parameter', () => {
  it('is a plan error naming the node and the key, with the command entry to use instead', () => {
    const r = new SysctlResource('net.ipv4.route.flush', 1);
    let error: unknown;
    try {
      r.diff(`@@write-only@@\n${S}absent\n${S}`, ctx);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanningError);
    expect((error as PlanningError).message).toBe('n1: write-only sysctl: net.ipv4.route.flush cannot be read back (its /proc/sys/net/ipv4/route/flush is write-only), so gridops cannot keep it converged: every plan would set it again');
    expect((error as PlanningError).hint).toMatch(/set it with a command entry instead \(run: sysctl -w net.ipv4.route.flush=1\)/);
  });

  it('is told apart by the probe from a missing one: a file there that cannot be read', () => {
    const probe = new SysctlResource('net.ipv4.route.flush', 1).probe();
    expect(probe).toContain("if [ -e /proc/sys/net/ipv4/route/flush ] && [ ! -r /proc/sys/net/ipv4/route/flush ]; then echo @@write-only@@;");
    // A parameter the kernel does not have is still `missing`, planned to be set (and refused by the kernel at apply).
    const missing = execSync(new SysctlResource('net.gridops.no_such_key', 1).probe(), { shell: '/bin/sh' }).toString();
    expect(missing.split('\n')[0]).toBe('@@missing@@');
    expect(new SysctlResource('net.gridops.no_such_key', 1).diff(`@@missing@@\n${S}absent\n${S}`, ctx)?.steps).toContain('set');
  });
});
