import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../src/engine/applier.js';
import { planHost } from '../../src/engine/planner.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { allNodes } from '../../src/topology/model.js';
import { quote } from '../../src/transport/quote.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { smallGrid } from './fixtures.js';
import { localRecording } from '../support/local-run.js';

/**
 * A `line` edits a file someone else owns (`/home/app/.env`, owned by app): the rewritten file
 * keeps its owner, group and mode, as Ansible's lineinfile keeps them, rather than becoming
 * root's. The recording fake sends each command to a real local shell, so the test sees both the
 * script and what it did.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-line-owner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const grid = smallGrid();
const node = allNodes(grid).find((n) => n.name === 'n1')!;
// Only root can give a file to another user; elsewhere the file stays the test's own.
const asRoot = process.getuid?.() === 0;
const OTHER = asRoot ? 65534 : process.getuid!();

function lineOf(env: string) {
  const file = join(dir, 'line.yaml');
  writeFileSync(file, `name: env-line\nresources:\n  - line: { path: ${JSON.stringify(env)}, line: "LOG_LEVEL=debug", match: "^LOG_LEVEL=" }\n`);
  return loadPlaybook(file);
}

/** What was sent to the host from the `from`th call on: each command and the script on its stdin (a batch is `sh -s`). */
function sentScripts(transport: RecordingTransport, from = 0): string {
  return transport.calls.slice(from).flatMap((c) => (c.kind === 'exec' ? [c.command, c.stdin ?? ''] : [])).join('\n');
}

describe('a line keeps the owner, group and mode of the file it edits', () => {
  it('the written script gives the new content the old file\'s owner and group, and a plan after it has no change', async () => {
    const env = join(dir, '.env');
    writeFileSync(env, 'DB_URL=postgres://app@db/app\nLOG_LEVEL=info\n');
    chownSync(env, OTHER, OTHER);
    chmodSync(env, 0o640);
    const transport = localRecording('n1');
    const host = { node, transport };
    const { plan, planned } = await planHost(grid, host, [lineOf(env)]);
    expect(plan.error).toBeUndefined();
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'line', action: 'update', mode: '0640' })]);
    const before = transport.calls.length;
    const [outcome] = await applyPlan([planned!], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcome).toMatchObject({ host: 'n1', status: 'applied', applied: 1 });
    const script = sentScripts(transport, before);
    expect(script).toContain(`chown --reference=${quote(env)} /proc/self/fd/9`);
    expect(readFileSync(env, 'utf8')).toBe('DB_URL=postgres://app@db/app\nLOG_LEVEL=debug\n');
    const after = statSync(env);
    expect({ uid: after.uid, gid: after.gid, mode: (after.mode & 0o7777).toString(8) }).toEqual({ uid: OTHER, gid: OTHER, mode: '640' });
    const again = await planHost(grid, { node, transport }, [lineOf(env)]);
    expect(again.plan.error).toBeUndefined();
    expect(again.plan.changes).toEqual([]);
  });

  it.each([
    ['in a subshell of its own', {}],
    ["in the batch's shell", { shell: { umask: '0022', renameUl: false } }],
    ['staged for rename.ul', { shell: { umask: '0022', renameUl: true } }],
  ])('every form of the write keeps them (%s)', async (_form, options) => {
    const recorder = new StepRecorder('n1', options);
    await recorder.write('/home/app/.env', Buffer.from('A=1\n'), '0600', { keepOwnerOf: 'target' });
    expect(recorder.steps[0]!.command).toContain(`chown --reference=/home/app/.env /proc/self/fd/9`);
  });

  it('a file the line creates has no old owner to keep', async () => {
    const env = join(dir, 'new.env');
    const transport = localRecording('n1');
    const { planned } = await planHost(grid, { node, transport }, [lineOf(env)]);
    expect(planned!.plan.changes).toEqual([expect.objectContaining({ action: 'create' })]);
    await applyPlan([planned!], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(sentScripts(transport)).not.toContain('--reference');
    expect(readFileSync(env, 'utf8')).toBe('LOG_LEVEL=debug\n');
  });

  (asRoot ? it : it.skip)('an owner given to a file that has the line keeps its setgid bit (a chown clears it; the mode is set again)', async () => {
    const env = join(dir, 'sgid.env');
    writeFileSync(env, 'LOG_LEVEL=debug\n');
    chmodSync(env, 0o2755);
    const file = join(dir, 'line-owner.yaml');
    writeFileSync(file, `name: env-line\nresources:\n  - line: { path: ${JSON.stringify(env)}, line: "LOG_LEVEL=debug", owner: nobody }\n`);
    const playbook = loadPlaybook(file);
    const { planned } = await planHost(grid, { node, transport: localRecording('n1') }, [playbook]);
    expect(planned!.plan.changes).toEqual([expect.objectContaining({ kind: 'line', action: 'update', mode: '2755' })]);
    await applyPlan([planned!], { concurrency: 1, failFast: false, emit: () => undefined });
    const after = statSync(env);
    expect({ uid: after.uid, mode: (after.mode & 0o7777).toString(8) }).toEqual({ uid: 65534, mode: '2755' });
    expect((await planHost(grid, { node, transport: localRecording('n1') }, [playbook])).plan.changes).toEqual([]);
  });
});

