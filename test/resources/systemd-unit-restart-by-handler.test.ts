import { execSync } from 'node:child_process';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { probeSections } from '../../src/resources/probe-sections.js';
import { SystemdUnitResource } from '../../src/resources/systemd-unit.js';
import { quote } from '../../src/transport/quote.js';

/** The unit's probe output: an old file, then `systemctl is-enabled` and `is-active`. */
const oldFile = (active: string) =>
  execSync(probeSections(...[`regular file|644|root|root|3\n${Buffer.from('old').toString('base64')}\n`, 'enabled\n', `${active}\n`].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();

describe('a systemd-unit entry that notifies handlers leaves the restart of its changed file to them', () => {
  const content = '[Service]\nExecStart=/bin/true\n';

  it('running, its file changed: written, not restarted, and its handlers notified (one restart where the bundle changed too)', () => {
    const change = new SystemdUnitResource({ unit: 'gridagent.service', content, notify: ['restart-gridagent'] }).diff(oldFile('active'))!;
    expect(change.steps).toEqual(['write']);
    expect(change.notify).toEqual(['restart-gridagent']);
  });

  it('not running: still started by the entry itself', () => {
    expect(new SystemdUnitResource({ unit: 'gridagent.service', content, notify: ['restart-gridagent'] }).diff(oldFile('inactive'))!.steps).toEqual(['write', 'start']);
  });

  it('an enable alone notifies no handler: only a new file is a reason to restart', () => {
    const file = `regular file|644|root|root|${content.length}\n${Buffer.from(content).toString('base64')}\n`;
    const probed = execSync(probeSections(...[file, 'disabled\n', 'active\n'].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();
    const change = new SystemdUnitResource({ unit: 'gridagent.service', content, notify: ['restart-gridagent'] }).diff(probed)!;
    expect(change.steps).toEqual(['enable']);
    expect(change.notify).toBeUndefined();
  });

  it('with no handlers the entry restarts it, as before', () => {
    expect(new SystemdUnitResource({ unit: 'gridagent.service', content }).diff(oldFile('active'))!.steps).toEqual(['write', 'restart']);
  });

  it("the agent playbook's unit notifies restart-gridagent, the handler its bundle, config and key notify", () => {
    const agent = loadPlaybook('agent');
    const unit = agent.resources.find((r) => 'systemd-unit' in r) as { 'systemd-unit': { unit: string; notify?: string[] } };
    expect(unit['systemd-unit']).toMatchObject({ unit: 'gridagent.service', notify: ['restart-gridagent'] });
  });
});
