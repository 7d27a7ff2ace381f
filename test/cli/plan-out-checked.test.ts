/**
 * `plan --out` and `--log-file` name files the run writes: one it cannot write is said before any
 * host is contacted (a plan of a large grid takes minutes), with the path and a hint, never as
 * Node's raw EISDIR. Through the built binary, on a node nothing answers on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const file = 'test/fixtures/warnings/inert-sandbox-unreachable.yaml';

describe('plan: --out and --log-file checked before connecting', () => {
  let dir: string;
  const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-plan-out-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('--out DIR (a directory): exit 1, INPUT_FILE, no host contacted', () => {
    const r = run('plan', file, '--out', dir, '--json', '--state-dir', dir);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'INPUT_FILE', message: `cannot write ${dir}: it is a directory`, hint: expect.any(String) });
    expect(r.stderr).not.toMatch(/connecting/);
  });

  it('--out under a file, where its directory would be: said plainly, with a hint', () => {
    writeFileSync(join(dir, 'notes'), 'x');
    const out = join(dir, 'notes', 'plan.json');
    const r = run('plan', file, '--out', out, '--state-dir', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: cannot write ${out}: ${join(dir, 'notes')} is a file, not a directory`);
    expect(r.stderr).toMatch(/^hint: /m);
    expect(r.stderr).not.toMatch(/connecting|ENOTDIR/);
  });

  it('--log-file DIR (a directory): exit 1, INPUT_FILE, no raw EISDIR, no host contacted', () => {
    const r = run('plan', file, '--log-file', dir, '--state-dir', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: cannot write ${dir}: it is a directory`);
    expect(r.stderr).not.toMatch(/connecting|EISDIR/);
  });

  it('a save that fails after the plan (a file system that takes no new file): the plan is printed, and kept in --json', () => {
    const r = run('plan', file, '--out', '/proc/version', '--state-dir', dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^Plan: /m);
    expect(r.stderr).toContain('error: cannot write /proc/version: no file can be created in /proc');
    const j = run('plan', file, '--out', '/proc/version', '--json', '--state-dir', dir);
    expect(JSON.parse(j.stdout)).toMatchObject({ code: 'INPUT_FILE', result: { format: 'gridops-plan/v1', hosts: [{ host: 'n1' }] } });
  });

  it('a good --out (its directories made as needed): the plan is printed, then saved', () => {
    const out = join(dir, 'plans', 'plan.json');
    const r = run('plan', file, '--out', out, '--state-dir', dir);
    expect(r.status).toBe(1); // the unreachable host
    expect(r.stdout).toMatch(/n1/);
    // The apply to paste: with this run's --state-dir, whose state the plan's digests are of.
    expect(r.stdout).toContain(`plan saved to ${out}; apply it with: gridops apply ${file} --plan ${out} --state-dir ${dir}`);
    expect(existsSync(out)).toBe(true);
  });

  it('the apply it suggests is quoted, and asks for the sudo password where the plan did', () => {
    const out = join(dir, "my plan's.json");
    const r = run('plan', file, '--out', out, '--state-dir', dir, '--ask-become-pass');
    expect(r.stdout).toContain(`apply it with: gridops apply ${file} --plan '${dir}/my plan'\\''s.json' --state-dir ${dir} --ask-become-pass`);
  });
});
