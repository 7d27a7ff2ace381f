import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A flag that would do nothing with the others given is a usage error (exit 64) naming the flag
 * it needs or excludes, never silently ignored: `graph --concurrency/--state-dir` without
 * `--live` (nothing connects), `inventory --format` with `--json` (the JSON is the inventory).
 * Through the real built binary; nothing connects.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
// A HOME of its own, holding the key small.yaml names (~/.ssh/id_ed25519): the inventory refuses one that is not there.
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: home } });
let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'gridops-ignored-flags-'));
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'id_ed25519'), 'a key\n', { mode: 0o600 });
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('flags that would be ignored are refused (the binary)', () => {
  it.each([
    [['--concurrency', '4'], '--live'],
    [['--state-dir', '/tmp'], '--live'],
  ])('graph %j without --live: exit 64, naming --live', (flags, needed) => {
    const r = run('graph', 'examples/small.yaml', ...flags);
    expect(r.status).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: .*${flags[0]}.*${needed}`, 'm'));
  });

  it('graph without them still draws: the default --concurrency needs no --live', () => {
    const r = run('graph', 'examples/small.yaml');
    expect(r.status).toBe(0);
  });

  it('inventory --format with --json: exit 64, naming both', () => {
    const r = run('inventory', 'examples/small.yaml', '--format', 'yaml', '--json');
    expect(r.status).toBe(64);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'USAGE' });
    expect(JSON.parse(r.stdout).message).toBe('--format does nothing with --json, which prints the inventory as JSON');
    expect(run('inventory', 'examples/small.yaml', '--json').status).toBe(0);
    expect(run('inventory', 'examples/small.yaml', '--format', 'yaml').status).toBe(0);
  });
});
