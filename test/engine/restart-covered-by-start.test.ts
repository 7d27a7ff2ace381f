import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planHost } from '../../src/engine/planner.js';
import { restartsCoveredByStart } from '../../src/engine/restart-covered-by-start.js';
import type { Change } from '../../src/plan/change.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { onlyRestartsUnit } from '../../src/resources/restarts-unit.js';
import { NO_BIRTHS } from '../../src/state/group-births.js';
import { allNodes } from '../../src/topology/model.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { smallGrid } from '../resources/fixtures.js';

/**
 * A unit the batch starts from stopped needs no restart handler after it: the agent's first install
 * started gridagent, then restarted it a second later, in the middle of its sub-grid's first election.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-restart-covered-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const unit = `gridops-test-${process.pid}.service`;

/** A `systemctl` on PATH that says the unit is in `active` (show's ActiveState) and disabled. */
function transportWithUnit(active: string): LocalTransport {
  const bin = join(dir, `bin-${active}`);
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\ncase "$1" in is-enabled) echo disabled ;; show) printf 'ActiveState=%s\\nNeedDaemonReload=no\\n\\nActiveState=active\\nNeedDaemonReload=no\\n' ${active} ;; *) ;; esac\n`);
  chmodSync(join(bin, 'systemctl'), 0o755);
  return new LocalTransport('local', { ...process.env, PATH: `${bin}:${process.env.PATH}` });
}

function playbook(extraAfterUnit = ''): ReturnType<typeof loadPlaybook> {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'templates', 'app.service.hbs'), '[Service]\nExecStart=/bin/true\n');
  writeFileSync(join(dir, 'templates', 'app.conf.hbs'), 'setting = 1\n');
  const file = join(dir, `app${extraAfterUnit ? '-late' : ''}.yaml`);
  writeFileSync(
    file,
    [
      'name: app',
      'resources:',
      `  - file: { path: ${join(dir, 'app.conf')}, template: app.conf.hbs, notify: [restart-app] }`,
      `  - systemd-unit: { unit: ${unit}, template: app.service.hbs, enabled: false, notify: [restart-app] }`,
      ...(extraAfterUnit ? [`  - file: { path: ${join(dir, 'late.conf')}, template: app.conf.hbs, notify: [restart-app] }`] : []),
      'handlers:',
      `  - { name: restart-app, run: systemctl restart ${unit} }`,
      '',
    ].join('\n'),
  );
  return loadPlaybook(file);
}

describe('a restart handler covered by the start of a stopped unit', () => {
  const grid = smallGrid();
  const node = allNodes(grid)[0]!;
  const plan = async (active: string, late = false) => (await planHost(grid, { node, transport: transportWithUnit(active) }, [playbook(late ? 'late' : '')], {}, NO_BIRTHS)).planned!.plan;

  it('a stopped unit the batch starts after every notifying change: started once, no handler', async () => {
    const p = await plan('inactive');
    expect(p.error).toBeUndefined();
    expect(p.changes.find((c) => c.kind === 'systemd-unit')).toMatchObject({ steps: ['write', 'start'] });
    expect(p.handlers).toEqual([]);
    expect(p.changes.every((c) => !c.notify?.includes('restart-app'))).toBe(true);
    expect((await plan('failed')).handlers).toEqual([]);
  });

  it('a running unit: the handler restarts it, once', async () => {
    const p = await plan('active');
    expect(p.changes.find((c) => c.kind === 'systemd-unit')).toMatchObject({ steps: ['write'] });
    expect(p.handlers).toEqual(['restart-app']);
  });

  it('a unit still starting (its process may have read the old files) keeps the handler', async () => {
    expect((await plan('activating')).handlers).toEqual(['restart-app']);
  });

  it('a change after the start that notifies the handler keeps it: the started process read the old file', async () => {
    expect((await plan('inactive', true)).handlers).toEqual(['restart-app']);
  });

  it('a handler a failed run left owed is kept', () => {
    const start: Change = { kind: 'systemd-unit', id: 'u', action: 'create', unit: 'a.service', contentSha256: '', steps: ['write', 'start'], fields: [{ name: 'active', before: 'inactive', after: 'active' }], summary: '', notify: ['h'] };
    const handlers = [{ name: 'h', command: 'systemctl restart a.service' }];
    expect([...restartsCoveredByStart([start], handlers, ['h'], [])]).toEqual(['h']);
    expect([...restartsCoveredByStart([start], handlers, ['h'], ['h'])]).toEqual([]);
  });

  it.each([
    ['systemctl restart gridagent.service', true],
    ['systemctl restart gridagent', true],
    ['  systemctl --no-block try-restart -- gridagent.service ', true],
    ['systemctl restart gridagent.service && touch /run/restarted', false],
    ['systemctl restart nginx gridagent', false],
    ['systemctl reload gridagent', false],
    ['systemctl restart gridagent-exporter', false],
    ['systemctl --user restart gridagent.service', false],
  ])('%s is one restart of gridagent.service and nothing else: %s', (command, only) => {
    expect(onlyRestartsUnit(command, 'gridagent.service')).toBe(only);
  });
});
