import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbsentUnitResource } from '../../src/resources/absent-unit.js';
import { attributesOnHeldPath } from '../../src/resources/file-attributes.js';
import { parseFileState } from '../../src/resources/file-state.js';
import { StepRecorder, stepScript } from '../../src/resources/step-recorder.js';
import { SysctlResource } from '../../src/resources/sysctl.js';
import { SystemdUnitResource } from '../../src/resources/systemd-unit.js';
import type { AbsentUnitChange, SysctlChange, SystemdUnitChange } from '../../src/plan/change.js';

/**
 * A value that starts with `-` reaches a command as an operand, never as an option, and what is
 * put unquoted into a command (a mode) is checked where the command is built.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-option-operands-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const commands = (recorder: StepRecorder) => recorder.steps.map((s) => s.command);

describe('a path that looks like an option', () => {
  it('is the target of the write, not an option of mv (which would print its help and exit 0)', async () => {
    const recorder = new StepRecorder('n1');
    await recorder.write('--help', Buffer.from('written\n'), '0644');
    execFileSync('/bin/sh', ['-c', recorder.steps.map(stepScript).join('\n')], { cwd: dir });
    expect(existsSync(join(dir, '--help'))).toBe(true);
    expect(readFileSync(join(dir, '--help'), 'utf8')).toBe('written\n');
  });

  it('is an operand in a write run in the batch shell too', async () => {
    const recorder = new StepRecorder('n1', { shell: { umask: '0022', renameUl: false } });
    await recorder.write('--version', Buffer.from('x\n'), '0644');
    expect(commands(recorder).join('\n')).toContain('mv -f -T -- "$t" --version');
  });
});

describe('a mode put into chmod', () => {
  it('must be octal digits, or the write is refused where it is built', async () => {
    const recorder = new StepRecorder('n1');
    await expect(recorder.write('/etc/x', Buffer.from('x'), '0755; touch /tmp/pwned')).rejects.toThrow(/not an octal file mode/);
    await expect(recorder.write('/etc/x', Buffer.from('x'), '4755')).resolves.toBeUndefined();
  });

  it('must be octal digits for an attribute fix too', () => {
    expect(() => attributesOnHeldPath('/etc/x', { mode: '644 /etc/shadow' })).toThrow(/not an octal file mode/);
    expect(attributesOnHeldPath('/etc/x', { mode: '0644' })).toContain('chmod 00644 /proc/self/fd/8');
  });

  it('read from stat must be octal digits, else the read is refused', () => {
    expect(() => parseFileState('regular file|644;id|root|root|3\nYWJj')).toThrow(/not an octal mode/);
    expect(parseFileState('regular file|644|root|root|3\nYWJj').mode).toBe('0644');
    expect(parseFileState('directory|0|root|root|4096').mode).toBe('0000');
  });
});

describe('a unit name that starts with `-` (the root mount is -.mount)', () => {
  it('follows `--` in every systemctl call of a unit', async () => {
    const unit = new SystemdUnitResource({ unit: '-.mount', content: '[Mount]\n' });
    expect(unit.probe()).toContain('systemctl is-enabled -- -.mount');
    expect(unit.probe()).toContain('systemctl show -p ActiveState -p NeedDaemonReload -- -.mount');
    const recorder = new StepRecorder('n1');
    for (const steps of [['enable', 'start'], ['disable', 'restart'], ['stop']] as const) {
      await unit.apply({ kind: 'systemd-unit', id: unit.id, action: 'update', unit: '-.mount', contentSha256: '', steps: [...steps], fields: [], summary: '' } as SystemdUnitChange, recorder);
    }
    // Start and restart before enable and disable (systemd-unit.ts says why).
    expect(commands(recorder)).toEqual(['systemctl start -- -.mount', 'systemctl enable -- -.mount', 'systemctl restart -- -.mount', 'systemctl disable -- -.mount', 'systemctl stop -- -.mount']);
  });

  it('follows `--` when the unit is removed', async () => {
    const unit = new AbsentUnitResource('-.mount');
    expect(unit.probe()).toContain('systemctl is-active -- -.mount');
    expect(unit.probe()).toContain('systemctl is-enabled -- -.mount');
    const recorder = new StepRecorder('n1');
    await unit.apply({ kind: 'absent-unit', id: unit.id, action: 'delete', unit: '-.mount', steps: ['stop', 'disable'], summary: '', fields: [] } as AbsentUnitChange, recorder);
    expect(commands(recorder)).toEqual(['systemctl stop -- -.mount', 'systemctl disable -- -.mount']);
  });
});

describe('sysctl -w', () => {
  it('takes the key=value after `--`', async () => {
    const sysctl = new SysctlResource('net.core.rmem_max', '4096');
    const recorder = new StepRecorder('n1');
    await sysctl.apply({ kind: 'sysctl', id: sysctl.id, action: 'update', key: 'net.core.rmem_max', value: '4096', steps: ['set'], fields: [], summary: '' } as SysctlChange, recorder);
    expect(commands(recorder)).toHaveLength(1);
    expect(commands(recorder)[0]).toContain("sysctl -q -w -- 'net.core.rmem_max=4096' || exit 1");
  });
});
