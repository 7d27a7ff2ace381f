import { execSync } from 'node:child_process';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { probeSections } from '../../src/resources/probe-sections.js';
import { SystemdUnitResource } from '../../src/resources/systemd-unit.js';
import { restartsUnit } from '../../src/resources/restarts-unit.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smallGrid } from './fixtures.js';
import { quote } from '../../src/transport/quote.js';

/** The unit's probe output: an old file, then `systemctl is-enabled` and `systemctl show` (ActiveState). */
const oldFile = (active: string) =>
  execSync(probeSections(...[`regular file|644|root|root|3\n${Buffer.from('old').toString('base64')}\n`, 'enabled\n', `ActiveState=${active}\n`].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();

describe('a systemd-unit entry that notifies handlers leaves the restart of its changed file to them', () => {
  const content = '[Service]\nExecStart=/bin/true\n';

  it('running, its file changed: written, not restarted, and its handlers notified (one restart where the bundle changed too)', () => {
    const change = new SystemdUnitResource({ unit: 'gridagent.service', content, notify: ['restart-gridagent'], restartedByHandler: true }).diff(oldFile('active'))!;
    expect(change.steps).toEqual(['write']);
    expect(change.notify).toEqual(['restart-gridagent']);
  });

  it('not running: still started by the entry itself', () => {
    expect(new SystemdUnitResource({ unit: 'gridagent.service', content, notify: ['restart-gridagent'], restartedByHandler: true }).diff(oldFile('inactive'))!.steps).toEqual(['write', 'start']);
  });

  it('an enable alone notifies no handler: only a new file is a reason to restart', () => {
    const file = `regular file|644|root|root|${content.length}\n${Buffer.from(content).toString('base64')}\n`;
    const probed = execSync(probeSections(...[file, 'disabled\n', 'ActiveState=active\n'].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();
    const change = new SystemdUnitResource({ unit: 'gridagent.service', content, notify: ['restart-gridagent'], restartedByHandler: true }).diff(probed)!;
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

  it('only where a notified handler restarts this very unit: one that does something else leaves the restart to the entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-unit-handler-'));
    try {
      mkdirTemplates(dir);
      const file = join(dir, 'app.yaml');
      writeFileSync(file, 'name: app\nresources:\n  - systemd-unit: { unit: myapp.service, template: app.service.hbs, notify: [reload-haproxy] }\n  - systemd-unit: { unit: other.service, template: app.service.hbs, notify: [restart-other] }\nhandlers:\n  - { name: reload-haproxy, run: systemctl reload haproxy }\n  - { name: restart-other, run: systemctl try-restart other }\n');
      const grid = smallGrid();
      const [myapp, other] = instantiate(loadPlaybook(file), templateContext(grid, allNodes(grid)[0]!)).resources as SystemdUnitResource[];
      expect(myapp!.diff(oldFile('active'))!.steps).toEqual(['write', 'restart']);
      expect(other!.diff(oldFile('active'))!.steps).toEqual(['write']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['systemctl restart gridagent', true],
    ['systemctl try-restart gridagent.service', true],
    ['systemctl reload-or-restart -- gridagent.service', true],
    ['systemctl restart nginx gridagent', true],
    ['systemctl reload gridagent', false],
    ['systemctl restart gridagent-exporter', false],
    ['systemctl restart haproxy', false],
  ])('%s restarts gridagent.service: %s', (command, restarts) => {
    expect(restartsUnit(command, 'gridagent.service')).toBe(restarts);
  });

  it.each([
    ['systemctl stop gridagent.service', false, true],
    ['systemctl restart gridagent.service', true, true],
    ['systemctl stop gridagent-exporter', false, false],
    ['systemctl reload gridagent', false, false],
  ])('%s: a restart %s, a restart or stop %s (what the rolling checks ask)', (command, restart, restartOrStop) => {
    expect(restartsUnit(command, 'gridagent.service')).toBe(restart);
    expect(restartsUnit(command, 'gridagent.service', { orStop: true })).toBe(restartOrStop);
  });
});

function mkdirTemplates(dir: string): void {
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates', 'app.service.hbs'), '[Service]\nExecStart=/bin/true\n');
}

