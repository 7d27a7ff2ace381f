import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchScript, batchStop, markedStderr, type BatchChange } from '../../src/engine/batch-script.js';
import { RENAME_UL } from '../../src/resources/batch-shell.js';
import { MutationGate, type GateItem } from '../../src/engine/gate.js';
import type { Change } from '../../src/plan/change.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';

/**
 * A host's batch with writes staged in its shell and placed together by rename.ul (Debian's
 * util-linux, on this machine too), run for real in a local shell: what lands, what the markers
 * say, and where a failed batch stopped.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-batch-script-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');
const MARK = '@@m@@';

/** A recorder whose writes are staged (a held shell with rename.ul), and a helper to record a change. */
function recorder() {
  const r = new StepRecorder('n1', { shell: { umask: '0022', renameUl: true } });
  const ids: BatchChange[] = [];
  const change = async (id: string, record: (r: StepRecorder) => Promise<void>, notifies = false) => {
    ids.push({ id, ...(notifies ? { notifies } : {}) });
    r.begin(id);
    await record(r);
  };
  const run = async () => {
    const script = batchScript(ids, r.steps, MARK);
    // -x: the shell says each command it runs on stderr (batchStop skips those lines).
    const res = await local.exec('umask 0022; sh -s', { stdin: `set -x\n${script}` });
    const ran = (command: string) => res.stderr.split('\n').filter((l) => l.startsWith(`+ ${command}`)).length;
    const markers = res.stdout.split('\n').filter((l) => l.startsWith(MARK)).map((l) => l.slice(MARK.length + 1));
    const stderr = res.stderr.split('\n').filter((l) => !l.startsWith('+ ')).join('\n');
    return { script, res, ran, markers, stop: batchStop(markedStderr(stderr, MARK), markers.filter((m) => m.startsWith('done')).length) };
  };
  return { r, ids, change, run };
}

const fresh = (name: string) => {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
};
const temps = (d: string) => readdirSync(d).filter((f) => f.includes('.gridops'));

/** rename.ul is Debian's and Ubuntu's (util-linux): elsewhere these tests have nothing to run. */
const withRenameUl = existsSync(RENAME_UL) ? describe : describe.skip;

withRenameUl('batchScript: staged writes placed together', () => {
  it('places the writes in a row with one rename.ul, before a step that may read them, then says their changes are done', async () => {
    const d = fresh('row');
    const b = recorder();
    await b.change('file a', (r) => r.write(join(d, 'a'), Buffer.from('A\n'), '0644'));
    await b.change('line b', (r) => r.write(join(d, 'b.conf'), Buffer.from('managed=yes\n'), '0600'));
    await b.change('command c', (r) => r.run(`cat ${join(d, 'a')} ${join(d, 'b.conf')} > ${join(d, 'c')}`, 'cat'));
    await b.change('file e', (r) => r.write(join(d, 'e'), Buffer.from('E\n'), '0644'));
    const { script, res, ran, markers } = await b.run();
    expect(res.code).toBe(0);
    expect(ran('/usr/bin/rename.ul')).toBe(2);
    expect(ran('mv')).toBe(0);
    expect(script).not.toContain('mv -f');
    // Change 0's done waits for the rename that follows change 1's staging.
    expect(markers).toEqual(['start 0', 'start 1', 'done 0', 'done 1', 'start 2', 'done 2', 'start 3', 'done 3']);
    expect(readFileSync(join(d, 'c'), 'utf8')).toBe('A\nmanaged=yes\n');
    expect(readFileSync(join(d, 'e'), 'utf8')).toBe('E\n');
    expect(temps(d)).toEqual([]);
  });

  it('quotes every path it places: hostile names land as they are, and nothing they spell runs', async () => {
    const d = fresh("hostile dir $(touch pwned) 'q'");
    const names = ["it's", '$(touch pwned)', '`id`', 'a b\nc', '-n', '~x', '*'];
    const b = recorder();
    for (const [k, name] of names.entries()) await b.change(`file ${k}`, (r) => r.write(join(d, name), Buffer.from(`${k}\n`), '0644'));
    const { res, markers } = await b.run();
    expect(res.code).toBe(0);
    expect(markers.filter((m) => m.startsWith('done'))).toHaveLength(names.length);
    expect(readdirSync(d).sort()).toEqual([...names].sort());
    for (const [k, name] of names.entries()) expect(readFileSync(join(d, name), 'utf8')).toBe(`${k}\n`);
    expect(existsSync(join(process.cwd(), 'pwned'))).toBe(false);
    expect(existsSync(join(d, 'pwned'))).toBe(false);
  });

  it('a file written twice in one batch: the first is placed before the second is staged, and the second wins', async () => {
    const d = fresh('twice');
    const b = recorder();
    await b.change('file x', async (r) => {
      await r.write(join(d, 'x'), Buffer.from('first\n'), '0644');
      await r.write(join(d, 'x'), Buffer.from('second\n'), '0644');
    });
    const { res, ran } = await b.run();
    expect(res.code).toBe(0);
    expect(ran('/usr/bin/rename.ul')).toBe(2);
    expect(readFileSync(join(d, 'x'), 'utf8')).toBe('second\n');
  });

  it('a staged write that fails places the ones before it first: the changes before it done, its own target as it was', async () => {
    const d = fresh('stage-fails');
    writeFileSync(join(d, 'b'), 'old b\n');
    const b = recorder();
    await b.change('file a', (r) => r.write(join(d, 'a'), Buffer.from('A\n'), '0644'));
    await b.change('file b', async (r) => {
      await r.write(join(d, 'b0'), Buffer.from('B0\n'), '0644');
      await r.write(join(d, 'b'), Buffer.from('B\n'), '0644', { owner: 'no-such-user-gridops' });
    });
    await b.change('file c', (r) => r.write(join(d, 'c'), Buffer.from('C\n'), '0644'));
    const { res, markers, stop } = await b.run();
    expect(res.code).toBe(1);
    expect(markers).toEqual(['start 0', 'start 1', 'done 0']);
    // As with a mv each: a, and b's first write, in place; b as it was; c never staged.
    expect(readFileSync(join(d, 'a'), 'utf8')).toBe('A\n');
    expect(readFileSync(join(d, 'b0'), 'utf8')).toBe('B0\n');
    expect(readFileSync(join(d, 'b'), 'utf8')).toBe('old b\n');
    expect(existsSync(join(d, 'c'))).toBe(false);
    expect(temps(d)).toEqual([]);
    expect(stop).toMatchObject({ change: 1, step: 1 });
    expect(stop.stderr).toMatch(/no-such-user-gridops/);
  });

  it('a rename that fails (the target is a directory) ends the batch there: the change before it done, no temp file left', async () => {
    const d = fresh('place-fails');
    mkdirSync(join(d, 'b'));
    writeFileSync(join(d, 'b', 'inside'), 'kept\n');
    const b = recorder();
    await b.change('file a', (r) => r.write(join(d, 'a'), Buffer.from('A\n'), '0644'));
    await b.change('file b', (r) => r.write(join(d, 'b'), Buffer.from('B\n'), '0644'));
    await b.change('command c', (r) => r.run(`touch ${join(d, 'c')}`, 'touch'));
    const { res, markers, stop } = await b.run();
    expect(res.code).toBe(1);
    expect(markers).toEqual(['start 0', 'start 1', 'done 0']);
    expect(readFileSync(join(d, 'a'), 'utf8')).toBe('A\n');
    expect(readdirSync(join(d, 'b'))).toEqual(['inside']);
    expect(existsSync(join(d, 'c'))).toBe(false);
    expect(temps(d)).toEqual([]);
    expect(stop.change).toBe(1);
    expect(stop.step).toBe(0);
    expect(stop.stderr).toMatch(/Is a directory/);
    expect(stop.stderr).not.toContain('@@');
  });

  it('a write after the failing one in the same rename lands only when its change is nothing but writes and notifies no handler', async () => {
    const d = fresh('after-failed');
    mkdirSync(join(d, 'a'));
    const b = recorder();
    await b.change('file a', (r) => r.write(join(d, 'a'), Buffer.from('A\n'), '0644'));
    await b.change('file b', (r) => r.write(join(d, 'b'), Buffer.from('B\n'), '0644'));
    await b.change('file c, notifying', (r) => r.write(join(d, 'c'), Buffer.from('C\n'), '0644'), true);
    await b.change('unit e, then a reload', async (r) => {
      await r.write(join(d, 'e'), Buffer.from('E\n'), '0644');
      await r.run(`touch ${join(d, 'reloaded')}`, 'reload');
    });
    const { res, ran, markers, stop } = await b.run();
    expect(res.code).toBe(1);
    expect(ran('/usr/bin/rename.ul')).toBe(1);
    expect(markers).toEqual(['start 0', 'start 1']);
    expect(stop).toMatchObject({ change: 0, step: 0 });
    // b shared a's rename and landed (its change has nothing left to do: the next run finds it
    // done); c notifies a handler and e has a step after it: neither joined, neither landed.
    expect(readFileSync(join(d, 'b'), 'utf8')).toBe('B\n');
    expect(readdirSync(d).sort()).toEqual(['a', 'b']);
  });

  it('binary content (a here-document) staged after a pending write lands byte for byte', async () => {
    const d = fresh('binary');
    const bytes = Buffer.from([0, 1, 2, 0xff, 10, 0x27, 0x24, 0x28]);
    const b = recorder();
    await b.change('file t', (r) => r.write(join(d, 't'), Buffer.from('text\n'), '0644'));
    await b.change('file bin', (r) => r.write(join(d, 'bin'), bytes, '0600'));
    await b.change('file u', (r) => r.write(join(d, 'u'), Buffer.from('more\n'), '0644'));
    const { res, ran } = await b.run();
    expect(res.code).toBe(0);
    expect(ran('/usr/bin/rename.ul')).toBe(1);
    expect(readFileSync(join(d, 'bin'))).toEqual(bytes);
    expect(readFileSync(join(d, 'u'), 'utf8')).toBe('more\n');
    expect(temps(d)).toEqual([]);
  });

  it("a guarded command sees the staged write before it in place, is skipped by the first guard that holds, and so is a handler only it notified", async () => {
    const d = fresh('guarded');
    const b = recorder();
    const guards = [{ test: `[ -e ${join(d, 'absent')} ]`, reason: 'absent exists' }, { test: `[ -e ${join(d, 'made')} ]`, reason: 'made exists' }];
    await b.change('file made', (r) => r.write(join(d, 'made'), Buffer.from('made\n'), '0644'));
    await b.change('command init', (r) => r.run(`touch ${join(d, 'ran')}`, 'init', { skipWhen: guards }), true);
    await b.change('command other', (r) => r.run(`touch ${join(d, 'other')}`, 'other', { skipWhen: guards.slice(0, 1) }), true);
    b.ids.push({ id: 'handler a', notifiedBy: [1] }, { id: 'handler b', notifiedBy: [1, 2] });
    b.r.begin('handler a');
    await b.r.run(`touch ${join(d, 'a')}`, 'handler a');
    b.r.begin('handler b');
    await b.r.run(`touch ${join(d, 'b')}`, 'handler b');
    const { res, markers } = await b.run();
    expect(res.code).toBe(0);
    expect(markers).toEqual(['start 0', 'done 0', 'start 1', 'skipped 1 0 1', 'done 1', 'start 2', 'done 2', 'start 3', 'skipped 3', 'done 3', 'start 4', 'done 4']);
    expect(readdirSync(d).sort()).toEqual(['b', 'made', 'other']);
  });

  // The markers carry the batch's random marker (here the test's own): a step cannot know it.
  it('a step that prints lines like the markers cannot move where the batch says it stopped', async () => {
    const d = fresh('forged');
    const b = recorder();
    await b.change('command noisy', (r) => r.run(`printf '%s\\n' '@@step 0@@' '@@placing@@' '@@place-failed 0 0@@' >&2`, 'noisy'));
    await b.change('file x', (r) => r.write(join(d, 'x'), Buffer.from('x\n'), '0644'));
    await b.change('command fails', async (r) => {
      await r.run('true', 'first');
      await r.run("echo '@@step 0@@' >&2; exit 4", 'second');
    });
    const { res, stop } = await b.run();
    expect(res.code).toBe(4);
    expect(stop.change).toBe(2);
    expect(stop.step).toBe(1);
    expect(stop.stderr).toBe('@@step 0@@\n');
  });
});

withRenameUl('batchStop', () => {
  it('names the step that failed: the last step marker in its change, not the first', async () => {
    const b = recorder();
    await b.change('command x', async (r) => {
      await r.run('true', 'first');
      await r.run('true', 'second');
      await r.run('echo third failed >&2; exit 3', 'third');
    });
    const { res, stop } = await b.run();
    expect(res.code).toBe(3);
    expect(stop).toEqual({ change: 0, step: 2, stderr: 'third failed\n' });
  });
});

describe('where a batch stopped, when its markers are not whole lines', () => {
  /** A host whose batches run in a local shell (the gate's session of its own: `sh -s`). */
  const host = new RecordingTransport('n1').on(/^sh -s$/, (command, { options }) => local.exec(command, { stdin: String(options.stdin) }));
  const item = (id: string, command: string): GateItem => ({
    change: { kind: 'command', id, action: 'run', command, summary: id, fields: [] } as unknown as Change,
    perform: (r) => r.run(command, `${id} (its step)`),
  });

  it('output without a final newline does not hide the marker after it: the change is done, its output kept', async () => {
    const result = await new MutationGate(() => undefined).pass(host, false, [item('command a', 'printf partial; printf warn >&2'), item('command b', 'true')]);
    expect(result).toEqual({ applied: 2 });
  });

  it('a failing step after output without a newline is still named, with its own stderr', async () => {
    const result = await new MutationGate(() => undefined).pass(host, false, [item('command a', 'printf warn >&2'), item('command b', 'printf half >&2; exit 5')]);
    expect(result.applied).toBe(1);
    expect(result.failure).toMatchObject({ change: 'command b', step: 'command b (its step)', stderr: 'half' });
  });

  it('no marker at all (a shell that ended before its script): the change, no step borrowed from another', () => {
    expect(batchStop(markedStderr('sh: killed\n', '@@m@@'), 0)).toEqual({ change: 0, stderr: 'sh: killed\n' });
  });
});

withRenameUl('which writes are staged', () => {
  it.each(['/etc//x', '/etc/./x', '/etc/a/../x', '/etc/x/', 'relative/x'])('%s is not a plain path: written with mv at once', async (path) => {
    const r = new StepRecorder('n1', { shell: { umask: '0022', renameUl: true } });
    await r.write(path, Buffer.from('x'), '0644');
    expect(r.steps[0]!.placement).toBeUndefined();
    expect(r.steps[0]!.command).toContain('mv -f -T');
  });

  it('a plain path is staged, and a write with a check is not', async () => {
    const r = new StepRecorder('n1', { shell: { umask: '0022', renameUl: true } });
    await r.write('/etc/x', Buffer.from('x'), '0644');
    await r.write('/etc/y', Buffer.from('y'), '0644', { check: 'true' });
    expect(r.steps.map((s) => s.placement?.target)).toEqual(['/etc/x', undefined]);
  });
});
