import { execSync } from 'node:child_process';
import { probeSections } from '../../src/resources/probe-sections.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { SystemdUnitResource } from '../../src/resources/systemd-unit.js';
import { quote } from '../../src/transport/quote.js';

const content = '[Service]\nExecStart=/bin/true\n';
const fileAs = (text: string, mode = '644') => `regular file|${mode}|root|root|${Buffer.byteLength(text)}\n${Buffer.from(text).toString('base64')}\n`;

/** The unit's probe output: its file, `systemctl is-enabled`, and `systemctl show`: ActiveState, then the NeedDaemonReload blocks when given. */
function probed(file: string, enabled: string, active: string, needDaemonReload?: string): string {
  const sections = [file, `${enabled}\n`, `ActiveState=${active}\n${needDaemonReload === undefined ? '' : `${needDaemonReload}\n`}`];
  return execSync(probeSections(...sections.map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();
}

async function recordedLabels(unit: SystemdUnitResource, steps: Parameters<SystemdUnitResource['apply']>[0]['steps']): Promise<string[]> {
  const recorder = new StepRecorder('h');
  recorder.begin(unit.id);
  await unit.apply({ kind: 'systemd-unit', id: unit.id, action: 'update', unit: unit.unit, contentSha256: '', steps, fields: [], summary: '' }, recorder);
  return recorder.steps.map((s) => s.label);
}

describe('a systemd unit converges after a run that failed part-way', () => {
  it('probes whether systemd still runs an older definition than the file on disk', () => {
    expect(new SystemdUnitResource({ unit: 'app.service', content }).probe()).toContain('systemctl show -p ActiveState -p NeedDaemonReload -- app.service -.mount');
  });

  it('a file in place that systemd has not reloaded (the last daemon-reload failed): daemon-reload, then restart', async () => {
    const unit = new SystemdUnitResource({ unit: 'app.service', content });
    const change = unit.diff(probed(fileAs(content), 'enabled', 'active', 'NeedDaemonReload=yes'))!;
    expect(change.steps).toEqual(['daemon-reload', 'restart']);
    expect(change.diff).toBeUndefined();
    expect(await recordedLabels(unit, change.steps)).toEqual(['systemctl daemon-reload', 'restart app.service']);
  });

  it('the same with `--value` output (`yes` alone), and with handlers: they are notified instead of a restart of its own', () => {
    const unit = new SystemdUnitResource({ unit: 'gridagent.service', content, notify: ['restart-gridagent'], restartedByHandler: true });
    const change = unit.diff(probed(fileAs(content), 'enabled', 'active', 'yes'))!;
    expect(change.steps).toEqual(['daemon-reload']);
    expect(change.notify).toEqual(['restart-gridagent']);
  });

  it("systemd's own flag, said of every unit (the root mount too: systemd 255 after an enable over D-Bus with no reload): a reload, no restart and no handler", () => {
    const unit = new SystemdUnitResource({ unit: 'gridagent.service', content, notify: ['restart-gridagent'], restartedByHandler: true });
    const change = unit.diff(probed(fileAs(content), 'enabled', 'active', 'NeedDaemonReload=yes\n\nNeedDaemonReload=yes'))!;
    expect(change.steps).toEqual(['daemon-reload']);
    expect(change.notify).toBeUndefined();
    const plain = new SystemdUnitResource({ unit: 'app.service', content }).diff(probed(fileAs(content), 'enabled', 'active', 'NeedDaemonReload=yes\n\nNeedDaemonReload=yes'))!;
    expect(plain.steps).toEqual(['daemon-reload']);
    // The unit's alone, the root mount reloaded: its own stale definition, restarted.
    const own = new SystemdUnitResource({ unit: 'app.service', content }).diff(probed(fileAs(content), 'enabled', 'active', 'NeedDaemonReload=yes\n\nNeedDaemonReload=no'))!;
    expect(own.steps).toEqual(['daemon-reload', 'restart']);
  });

  it('no systemd to ask (systemctl printed nothing): a start whose before is unknown, and no daemon-reload', () => {
    const sections = [fileAs(content), '', ''];
    const change = new SystemdUnitResource({ unit: 'app.service', content }).diff(execSync(probeSections(...sections.map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString())!;
    expect(change.steps).toEqual(['start', 'enable']);
    expect(change.fields).toContainEqual({ name: 'active', before: 'unknown', after: 'active' });
  });

  it('reloaded (NeedDaemonReload=no): nothing to do', () => {
    expect(new SystemdUnitResource({ unit: 'app.service', content }).diff(probed(fileAs(content), 'enabled', 'active', 'NeedDaemonReload=no'))).toBeNull();
  });

  it('restarts or starts before it enables: an enable that fails then leaves the service on its new definition', async () => {
    const unit = new SystemdUnitResource({ unit: 'app.service', content });
    const change = unit.diff(probed(fileAs('old'), 'disabled', 'active'))!;
    // The plan lists them in the order apply runs them.
    expect(change.steps).toEqual(['write', 'restart', 'enable']);
    const labels = await recordedLabels(unit, change.steps);
    expect(labels.slice(1)).toEqual(['systemctl daemon-reload', 'restart app.service', 'enable app.service']);
    expect(await recordedLabels(unit, ['write', 'enable', 'start'])).toEqual([labels[0], 'systemctl daemon-reload', 'start app.service', 'enable app.service']);
  });

  it('a mode-only drift (chmod 600) is fixed by a chmod: no write, no restart, no handler notified', async () => {
    const unit = new SystemdUnitResource({ unit: 'gridagent.service', content, notify: ['restart-gridagent'] });
    const change = unit.diff(probed(fileAs(content, '600'), 'enabled', 'active'))!;
    expect(change.steps).toEqual(['chmod']);
    expect(change.fields).toEqual([{ name: 'mode', before: '0600', after: '0644' }]);
    expect(change.notify).toBeUndefined();
    expect(change.diff).toBeUndefined();
    expect(await recordedLabels(unit, change.steps)).toEqual(['chmod /etc/systemd/system/gridagent.service']);
  });
});
