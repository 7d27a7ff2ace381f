import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../src/engine/applier.js';
import { planHost } from '../../src/engine/planner.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { allNodes } from '../../src/topology/model.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { smallGrid } from '../resources/fixtures.js';

/**
 * `notify` on a `line` works as on a `file`: the planner reads a real file in a temp directory
 * through a local shell, and the applier runs the batch there, handlers included.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-line-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const grid = smallGrid();
const node = allNodes(grid).find((n) => n.name === 'n1')!;
const host = { node, transport: new LocalTransport('n1') };

/** A playbook that keeps `Port 2222` in CONF (notifying `handler`) and defines `restart-app`, which appends to LOG. */
function playbook(name: string, conf: string, log: string, handler = 'restart-app') {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
resources:
  - line: { path: ${JSON.stringify(conf)}, line: Port 2222, match: "^#?Port ", notify: [${handler}] }
handlers:
  - { name: restart-app, run: ${JSON.stringify(`echo restarted >> ${log}`)} }
`,
  );
  return loadPlaybook(file);
}

describe('notify on a line resource', () => {
  it('a changed line notifies its handler, which apply runs once after the change', async () => {
    const conf = join(dir, 'app.conf');
    const log = join(dir, 'changed.log');
    writeFileSync(conf, 'Listen 0.0.0.0\n#Port 22\n');
    const { plan, planned } = await planHost(grid, host, [playbook('changed', conf, log)]);
    expect(plan.error).toBeUndefined();
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'line', action: 'update', notify: ['restart-app'] })]);
    expect(plan.handlers).toEqual(['restart-app']);
    const [outcome] = await applyPlan([planned!], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcome).toMatchObject({ host: 'n1', status: 'applied', applied: 1 });
    expect(readFileSync(conf, 'utf8')).toBe('Listen 0.0.0.0\nPort 2222\n');
    expect(readFileSync(log, 'utf8')).toBe('restarted\n');
  });

  it('an unchanged line notifies nothing', async () => {
    const conf = join(dir, 'kept.conf');
    writeFileSync(conf, 'Listen 0.0.0.0\nPort 2222\n');
    const { plan } = await planHost(grid, host, [playbook('unchanged', conf, join(dir, 'unchanged.log'))]);
    expect(plan.error).toBeUndefined();
    expect(plan.changes).toEqual([]);
    expect(plan.handlers).toEqual([]);
  });

  it('a changed line that notifies a handler no playbook defines is a planning error, as for a file', async () => {
    const conf = join(dir, 'unknown.conf');
    writeFileSync(conf, 'Port 22\n');
    const { plan, planned } = await planHost(grid, host, [playbook('unknown', conf, join(dir, 'unknown.log'), 'restart-ap')]);
    expect(planned).toBeUndefined();
    // The plan's host names it: the message does not again.
    expect(plan.error).toEqual({ kind: 'planning', message: 'a change notifies handler "restart-ap", which no playbook defines', hint: 'add it under `handlers:` in the playbook' });
    expect(readFileSync(conf, 'utf8')).toBe('Port 22\n');
  });
});
