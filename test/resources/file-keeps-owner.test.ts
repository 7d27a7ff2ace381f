import { chmodSync, chownSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../src/engine/applier.js';
import { planHost } from '../../src/engine/planner.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { FileResource } from '../../src/resources/file.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { allNodes } from '../../src/topology/model.js';
import { quote } from '../../src/transport/quote.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { smallGrid } from './fixtures.js';
import { localRecording } from '../support/local-run.js';

/**
 * A `file` without `owner`, `group` or `mode` leaves those as the host has them, as Ansible's copy
 * does: new content keeps the old file's owner, group and mode rather than becoming root's at
 * 0644 (a `sensitive` file at 0600 made world-readable). A file it creates gets 0644, or 0600
 * when sensitive. The recording fake sends each command to a real local shell.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-file-owner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const grid = smallGrid();
const node = allNodes(grid).find((n) => n.name === 'n1')!;
// Only root can give a file to another user; elsewhere the file stays the test's own.
const asRoot = process.getuid?.() === 0;
const OTHER = asRoot ? 65534 : process.getuid!();

let playbooks = 0;
function fileOf(path: string, extra = '') {
  const file = join(dir, `file-${++playbooks}.yaml`);
  writeFileSync(file, `name: app-file\nresources:\n  - file: { path: ${JSON.stringify(path)}, content: "LOG_LEVEL=debug\\n"${extra} }\n`);
  return loadPlaybook(file);
}

function sentScripts(transport: RecordingTransport, from = 0): string {
  return transport.calls.slice(from).flatMap((c) => (c.kind === 'exec' ? [c.command, c.stdin ?? ''] : [])).join('\n');
}

const attrs = (path: string) => {
  const s = statSync(path);
  return { uid: s.uid, gid: s.gid, mode: (s.mode & 0o7777).toString(8) };
};

/** Plans, applies and plans again (which must find nothing to do); what the apply sent. */
async function applyAndReplan(playbook: ReturnType<typeof loadPlaybook>) {
  const transport = localRecording('n1');
  const { plan, planned } = await planHost(grid, { node, transport }, [playbook]);
  expect(plan.error).toBeUndefined();
  const before = transport.calls.length;
  const [outcome] = await applyPlan([planned!], { concurrency: 1, failFast: false, emit: () => undefined });
  expect(outcome).toMatchObject({ host: 'n1', status: 'applied' });
  const again = await planHost(grid, { node, transport: localRecording('n1') }, [playbook]);
  expect(again.plan.error).toBeUndefined();
  expect(again.plan.changes).toEqual([]);
  return { plan, script: sentScripts(transport, before) };
}

describe('a file without owner, group or mode keeps those of the file it replaces', () => {
  it('new content keeps the old file\'s owner, group and mode, and a plan after it has no change', async () => {
    const env = join(dir, '.env');
    writeFileSync(env, 'LOG_LEVEL=info\n');
    chownSync(env, OTHER, OTHER);
    chmodSync(env, 0o640);
    const { plan, script } = await applyAndReplan(fileOf(env));
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'file', action: 'update', mode: '0640' })]);
    expect(plan.changes[0]!.fields.map((f) => f.name)).toEqual(['content']);
    expect(script).toContain(`chown --reference=${quote(env)} /proc/self/fd/9`);
    expect(readFileSync(env, 'utf8')).toBe('LOG_LEVEL=debug\n');
    expect(attrs(env)).toEqual({ uid: OTHER, gid: OTHER, mode: '640' });
  });

  it('a sensitive file at 0600 stays 0600: no mode change is planned, and new content keeps it', async () => {
    const key = join(dir, 'token');
    writeFileSync(key, 'LOG_LEVEL=debug\n');
    chmodSync(key, 0o600);
    const same = await planHost(grid, { node, transport: localRecording('n1') }, [fileOf(key, ', sensitive: true')]);
    expect(same.plan.changes).toEqual([]);
    writeFileSync(key, 'old-token\n');
    const { plan } = await applyAndReplan(fileOf(key, ', sensitive: true'));
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'update', mode: '0600' })]);
    expect(attrs(key).mode).toBe('600');
  });

  it('a file it creates has no old owner to keep: 0644, or 0600 when sensitive', async () => {
    const plain = join(dir, 'new.conf');
    const secret = join(dir, 'new.key');
    const first = await applyAndReplan(fileOf(plain));
    expect(first.script).not.toContain('--reference');
    expect(attrs(plain).mode).toBe('644');
    await applyAndReplan(fileOf(secret, ', sensitive: true'));
    expect(attrs(secret).mode).toBe('600');
  });

  it('a mode that is set is still compared and given', async () => {
    const conf = join(dir, 'set.conf');
    writeFileSync(conf, 'LOG_LEVEL=debug\n');
    chmodSync(conf, 0o600);
    const { plan } = await applyAndReplan(fileOf(conf, ', mode: "0644"'));
    expect(plan.changes[0]!.fields).toEqual([{ name: 'mode', before: '0600', after: '0644' }]);
    expect(attrs(conf).mode).toBe('644');
  });

  it('a chown alone with no mode set gives the file its own mode again (root\'s chown clears a setuid bit)', async () => {
    const resource = new FileResource({ path: '/usr/local/bin/tool', content: 'x\n', owner: 'app' });
    const change = resource.diff(`regular file|4755|root|root|2\n${Buffer.from('x\n').toString('base64')}\n`)!;
    expect(change.fields.map((f) => f.name)).toEqual(['owner']);
    const recorder = new StepRecorder('local');
    recorder.begin(change.id);
    await resource.apply(change, recorder);
    expect(recorder.steps.map((s) => s.command).join('\n')).toContain('chmod 04755 /proc/self/fd/8');
  });

  it('a symlink at the path is replaced by a regular file at 0644 (0600 when sensitive), not at the link\'s own 0777, even when it dangles', async () => {
    for (const [sensitive, mode] of [[false, '644'], [true, '600']] as const) {
      const path = join(dir, `resolv-${mode}.conf`);
      symlinkSync(join(dir, 'nowhere', 'stub-resolv.conf'), path);
      const { plan } = await applyAndReplan(fileOf(path, sensitive ? ', sensitive: true' : ''));
      expect(plan.changes[0]).toMatchObject({ kind: 'file', mode: `0${mode}` });
      expect(lstatSync(path).isFile()).toBe(true);
      expect(attrs(path).mode).toBe(mode);
    }
  });
});

