import type { SystemdUnitChange } from '../../src/plan/change.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { SystemdUnitResource } from '../../src/resources/systemd-unit.js';

/**
 * The start of a unit planned as stopped: a service something earlier in the batch started
 * meanwhile is restarted (no restart handler follows a start, restart-covered-by-start.ts); any
 * other unit, and a service still stopped, is only started (a slice's restart would stop the
 * sandbox VM in it, and restart of a stopped unit restarts the running units that require it).
 */
async function startCommand(unit: string): Promise<string> {
  const resource = new SystemdUnitResource({ unit, content: '[Unit]\n' });
  const recorder = new StepRecorder('n1');
  await resource.apply({ kind: 'systemd-unit', id: resource.id, action: 'update', unit, contentSha256: '', steps: ['start'], fields: [], summary: '' } as SystemdUnitChange, recorder);
  return recorder.steps.map((s) => s.command).join('\n');
}

describe("a stopped unit's start", () => {
  it('a service: restarted if it runs by then, else started, in one command', async () => {
    expect(await startCommand('gridagent.service')).toBe('if systemctl is-active -q -- gridagent.service; then systemctl restart -- gridagent.service; else systemctl start -- gridagent.service; fi');
  });

  it.each(['grid.slice', 'gridops.socket', 'var-lib.mount'])('%s: only started, never restarted', async (unit) => {
    expect(await startCommand(unit)).toBe(`systemctl start -- ${unit}`);
  });
});
