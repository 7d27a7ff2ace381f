import { execSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../src/engine/applier.js';
import { planHost } from '../../src/engine/planner.js';
import { checkPlaybookText, loadPlaybook } from '../../src/playbooks/load.js';
import { fileProbe } from '../../src/resources/file-state.js';
import { LineResource } from '../../src/resources/line.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { allNodes } from '../../src/topology/model.js';
import { quote } from '../../src/transport/quote.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, smallGrid } from './fixtures.js';
import { localRecording } from '../support/local-run.js';

/**
 * A `line` may set the file's `mode`, `owner` and `group`, as Ansible's lineinfile does: a file it
 * creates gets them, an existing one whose line is already there but whose attributes differ gets
 * a change of those fields alone, and an unset one is never compared. The recording fake sends each
 * command to a real local shell, so the test sees both the script and what it did.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-line-attrs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const grid = smallGrid();
const node = allNodes(grid).find((n) => n.name === 'n1')!;
// Only root can give a file to another user: elsewhere the owner tests use the test's own user.
const asRoot = process.getuid?.() === 0;
const OWNER = asRoot ? { name: 'nobody', uid: 65534 } : { name: execSync('id -un', { encoding: 'utf8' }).trim(), uid: process.getuid!() };
const GROUP = asRoot ? { name: execSync('getent group 65534 | cut -d: -f1', { encoding: 'utf8' }).trim(), gid: 65534 } : { name: execSync('id -gn', { encoding: 'utf8' }).trim(), gid: process.getgid!() };

let playbooks = 0;
/** A playbook of these `line` entries (YAML flow mappings). */
function playbookOf(...lines: string[]) {
  const file = join(dir, `line-${++playbooks}.yaml`);
  writeFileSync(file, `name: line-attrs\nresources:\n${lines.map((l) => `  - line: ${l}\n`).join('')}`);
  return loadPlaybook(file);
}

function transport() {
  return localRecording('n1');
}

/** What was sent to the host from the `from`th call on: each command and the script on its stdin. */
function sentScripts(t: RecordingTransport, from = 0): string {
  return t.calls.slice(from).flatMap((c) => (c.kind === 'exec' ? [c.command, c.stdin ?? ''] : [])).join('\n');
}

function attrs(path: string) {
  const s = statSync(path);
  return { uid: s.uid, gid: s.gid, mode: (s.mode & 0o7777).toString(8) };
}

/** Plans, applies, and plans again: the second plan must have no change. */
async function applyAndReplan(playbook: ReturnType<typeof loadPlaybook>) {
  const t = transport();
  const { plan, planned } = await planHost(grid, { node, transport: t }, [playbook]);
  expect(plan.error).toBeUndefined();
  const before = t.calls.length;
  const [outcome] = await applyPlan([planned!], { concurrency: 1, failFast: false, emit: () => undefined });
  expect(outcome).toMatchObject({ host: 'n1', status: 'applied' });
  const again = await planHost(grid, { node, transport: transport() }, [playbook]);
  expect(again.plan.error).toBeUndefined();
  expect(again.plan.changes).toEqual([]);
  return { plan, script: sentScripts(t, before) };
}

describe('a line with mode, owner and group', () => {
  it('the playbook takes them, with the mode checked as a file\'s is, at its position', () => {
    const ok = checkPlaybookText('p.yaml', `name: p\nresources:\n  - line: { path: /x, line: a, mode: "0600", owner: app, group: "{{node.name}}" }\n`);
    expect(ok.problems).toEqual([]);
    const bad = checkPlaybookText('p.yaml', `name: p\nresources:\n  - line: { path: /x, line: a, mode: "0999" }\n`);
    expect(bad.problems.map((p) => `${p.line}:${p.column}`)).toEqual(['3:38']);
    expect(bad.problems[0]!.message).toMatch(/mode/);
  });

  it('two lines on one file that set its mode, owner or group differently are refused at the later value (the plan would never settle)', () => {
    const text = `name: p\nresources:\n  - line: { path: /etc/app.env, line: A=1, mode: "0600", owner: app }\n  - line: { path: /etc/other.env, line: C=3, mode: "0644" }\n  - line: { path: /etc/app.env, line: B=2, mode: "0644", owner: app }\n`;
    const { problems } = checkPlaybookText('p.yaml', text);
    expect(problems.map((p) => [`${p.line}:${p.column}`, p.message, p.hint])).toEqual([
      ['5:50', 'mode "0644" for /etc/app.env, which resources[0] sets to "0600": the file would change back and forth at every run', 'set mode on one of the lines for /etc/app.env, or the same value on both'],
    ]);
    // `644` and `0644` are one mode.
    expect(checkPlaybookText('p.yaml', text.replace('mode: "0644", owner: app }\n', 'mode: "600", owner: app }\n')).problems).toEqual([]);
    // The same values, or one line setting none, are fine.
    expect(checkPlaybookText('p.yaml', text.replace('mode: "0644", owner: app }\n', 'owner: app }\n')).problems).toEqual([]);
  });

  it('a file the line creates gets them, and a plan after the apply has no change', async () => {
    const env = join(dir, 'created.env');
    const { plan, script } = await applyAndReplan(playbookOf(`{ path: ${JSON.stringify(env)}, line: A=1, mode: "0600", owner: ${OWNER.name}, group: ${GROUP.name} }`));
    expect(plan.changes).toEqual([
      expect.objectContaining({
        kind: 'line',
        action: 'create',
        mode: '0600',
        fields: [
          { name: 'line', before: null, after: 'A=1' },
          { name: 'mode', before: null, after: '0600' },
          { name: 'owner', before: null, after: OWNER.name },
          { name: 'group', before: null, after: GROUP.name },
        ],
      }),
    ]);
    expect(script).toContain(`chown -- ${quote(`${OWNER.name}:${GROUP.name}`)} /proc/self/fd/9`);
    expect(readFileSync(env, 'utf8')).toBe('A=1\n');
    expect(attrs(env)).toEqual({ uid: OWNER.uid, gid: GROUP.gid, mode: '600' });
  });

  it('a line already there with other attributes: a change of those fields only, applied without rewriting the file', async () => {
    const env = join(dir, 'present.env');
    writeFileSync(env, 'A=1\nB=2\n');
    if (asRoot) chownSync(env, 0, 0);
    chmodSync(env, 0o644);
    const rootName = execSync('id -un 0', { encoding: 'utf8' }).trim();
    const rootGroup = execSync('getent group 0 | cut -d: -f1', { encoding: 'utf8' }).trim();
    const wantsOwner = asRoot ? `, owner: ${OWNER.name}, group: ${GROUP.name}` : '';
    const { plan, script } = await applyAndReplan(playbookOf(`{ path: ${JSON.stringify(env)}, line: A=1, mode: "0600"${wantsOwner} }`));
    expect(plan.changes).toEqual([
      expect.objectContaining({
        kind: 'line',
        action: 'update',
        fields: [
          { name: 'mode', before: '0644', after: '0600' },
          ...(asRoot
            ? [
                { name: 'owner', before: rootName, after: OWNER.name },
                { name: 'group', before: rootGroup, after: GROUP.name },
              ]
            : []),
        ],
      }),
    ]);
    expect(plan.changes[0]!.diff).toBeUndefined();
    expect(script).toContain('chmod 00600 /proc/self/fd/8');
    expect(script).not.toContain('/proc/self/fd/9');
    expect(readFileSync(env, 'utf8')).toBe('A=1\nB=2\n');
    expect(attrs(env)).toEqual(asRoot ? { uid: OWNER.uid, gid: GROUP.gid, mode: '600' } : { uid: process.getuid!(), gid: process.getgid!(), mode: '600' });
  });

  it('a line that changes with a mode that differs: one write gives the new content that mode', async () => {
    const env = join(dir, 'edited.env');
    writeFileSync(env, 'A=0\n');
    chmodSync(env, 0o644);
    const { plan } = await applyAndReplan(playbookOf(`{ path: ${JSON.stringify(env)}, line: A=1, match: "^A=", mode: "0640" }`));
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'update', mode: '0640', fields: [{ name: 'line', before: null, after: 'A=1' }, { name: 'mode', before: '0644', after: '0640' }] })]);
    expect(readFileSync(env, 'utf8')).toBe('A=1\n');
    expect(attrs(env).mode).toBe('640');
  });

  it('unset attributes are never compared, and the owner is read only where one is set', async () => {
    const env = join(dir, 'unset.env');
    writeFileSync(env, 'A=1\n');
    chmodSync(env, 0o600);
    const t = transport();
    const { plan } = await planHost(grid, { node, transport: t }, [playbookOf(`{ path: ${JSON.stringify(env)}, line: A=1 }`)]);
    expect(plan.changes).toEqual([]);
    expect(new LineResource({ path: env, line: 'A=1', mode: '0600' }).probe()).toBe(fileProbe(env, { owners: false }));
    expect(new LineResource({ path: env, line: 'A=1', owner: 'app' }).probe()).toBe(fileProbe(env, { owners: true }));
    expect(new LineResource({ path: env, line: 'A=1', group: 'app' }).probe()).toBe(fileProbe(env, { owners: true }));
  });

  it('a second line in the same file is planned on the attributes the first leaves', async () => {
    const env = join(dir, 'two.env');
    const { plan } = await applyAndReplan(playbookOf(`{ path: ${JSON.stringify(env)}, line: A=1, mode: "0600", owner: ${OWNER.name} }`, `{ path: ${JSON.stringify(env)}, line: B=2, owner: ${OWNER.name} }`));
    expect(plan.changes.map((c) => [c.action, c.fields.map((f) => f.name), (c as { mode?: string }).mode])).toEqual([
      ['create', ['line', 'mode', 'owner'], '0600'],
      ['update', ['line'], '0600'],
    ]);
    expect(readFileSync(env, 'utf8')).toBe('A=1\nB=2\n');
    expect(attrs(env)).toMatchObject({ uid: OWNER.uid, mode: '600' });
  });

  it('a hostile owner or group reaches the shell as one quoted word', async () => {
    const env = join(dir, 'hostile.env');
    writeFileSync(env, 'A=1\n');
    const pwned = join(dir, 'pwned');
    const owner = `$(touch ${pwned})`;
    const group = `x; touch ${pwned}`;
    const resource = new LineResource({ path: env, line: 'A=1', owner, group });
    const change = resource.diff(`regular file|644|root|root|4\n${Buffer.from('A=1\n').toString('base64')}\n`, { node, facts: facts() })!;
    expect(change.fields.map((f) => f.name)).toEqual(['owner', 'group']);
    const recorder = new StepRecorder('local');
    recorder.begin(change.id);
    await resource.apply(change, recorder);
    expect(recorder.steps.map((s) => s.command).join('\n')).toContain(`chown -- ${quote(`${owner}:${group}`)} /proc/self/fd/8`);
    expect(() => execSync(recorder.steps.map((s) => s.command).join('\n'), { shell: '/bin/sh', stdio: 'pipe' })).toThrow();
    expect(existsSync(pwned)).toBe(false);
  });

  it.each([
    ['on a file whose line is there (chown alone)', 'A=1\n', 'update'],
    ['on a file it creates (the write)', undefined, 'create'],
  ])('an owner that looks like an option is a name to chown, not an option (%s)', async (_case, content, action) => {
    const env = join(dir, `option-${action}.env`);
    if (content !== undefined) writeFileSync(env, content);
    else rmSync(env, { force: true });
    const resource = new LineResource({ path: env, line: 'A=1', owner: '--help' });
    const stdout = content === undefined ? 'absent\n' : `regular file|644|root|root|4\n${Buffer.from(content).toString('base64')}\n`;
    const change = resource.diff(stdout, { node, facts: facts() })!;
    expect(change.action).toBe(action);
    const recorder = new StepRecorder('local');
    recorder.begin(change.id);
    await resource.apply(change, recorder);
    // `chown --help` would print its usage and succeed, the owner never set and the plan never settling.
    expect(() => execSync(recorder.steps.map((s) => s.command).join('\n'), { shell: '/bin/sh', stdio: 'pipe' })).toThrow(/invalid user/);
  });
});
