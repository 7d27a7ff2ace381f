import { execSync } from 'node:child_process';
import { probeSections } from '../../src/resources/probe-sections.js';
import { SystemdUnitResource } from '../../src/resources/systemd-unit.js';
import { quote } from '../../src/transport/quote.js';

const content = '[Service]\nExecStart=/bin/true\n';
/** The unit's probe output: its file as wanted, then `systemctl is-enabled` and `systemctl show` (ActiveState, NeedDaemonReload). */
function probed(isEnabled: string): string {
  const file = `regular file|644|root|root|${content.length}\n${Buffer.from(content).toString('base64')}\n`;
  return execSync(probeSections(...[file, `${isEnabled}\n`, 'ActiveState=active\nNeedDaemonReload=no\n'].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();
}

describe('systemd-unit enabled: true on a unit that systemctl enable cannot make "enabled"', () => {
  const unit = new SystemdUnitResource({ unit: 'oneshot.service', content });

  it('reads its own probe output as unchanged when enabled and active', () => {
    expect(unit.diff(probed('enabled'))).toBeNull();
  });

  // A unit with no [Install] section is `static`, one pulled in through another's Also= `indirect`,
  // a generator's `generated`, an alias name `alias`: `systemctl enable` exits 0 and changes nothing.
  it.each(['static', 'indirect', 'generated', 'alias'])('%s counts as enabled: no change every run', (state) => {
    expect(unit.diff(probed(state))).toBeNull();
  });

  it('enabled-runtime (links under /run, gone at reboot) is still enabled for good', () => {
    expect(unit.diff(probed('enabled-runtime'))).toMatchObject({ steps: ['enable'], fields: [{ name: 'enabled', before: 'enabled-runtime', after: 'enabled' }] });
  });

  it('disabled is enabled, and enabled: false leaves a static unit alone (disable cannot change it either)', () => {
    expect(unit.diff(probed('disabled'))!.steps).toEqual(['enable']);
    expect(new SystemdUnitResource({ unit: 'oneshot.service', content, enabled: false }).diff(probed('static'))).toBeNull();
  });
});
