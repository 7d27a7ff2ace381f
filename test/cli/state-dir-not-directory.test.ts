/**
 * `--state-dir` naming a file: said as such, before anything is read or contacted, exit 64 as
 * every flag gridops cannot use. Before, `state list` called the state unreadable and hinted at a
 * backup, and `apply` died on a raw `EEXIST: file already exists, mkdir`. Through the built binary.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

describe('--state-dir that is not a directory (the binary)', () => {
  let dir: string;
  const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: dir, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: dir, FORCE_COLOR: '0', NO_COLOR: '1' } });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-state-dir-'));
    writeFileSync(join(dir, 'grid.yaml'), 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
    writeFileSync(join(dir, 'afile'), 'not a directory');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['state', 'list', 'grid.yaml'],
    ['state', 'show', 'grid.yaml', 'n1'],
    ['apply', 'grid.yaml', '--yes'],
    ['status', 'grid.yaml'],
  ])('%s %s: exit 64, the flag and what to give it', (...args) => {
    const r = run(...args, '--state-dir', 'afile');
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('error: --state-dir afile is not a directory');
    expect(r.stderr).toContain('hint: give --state-dir a directory (made if missing), or leave it out to keep the state in .gridops beside the topology');
    expect(r.stderr).not.toMatch(/EEXIST|restore .* from a backup|Parsing --/);
  });

  it('--json: the usage error as every gridops error prints it', () => {
    const r = run('state', 'list', 'grid.yaml', '--state-dir', 'afile', '--json');
    expect(r.status).toBe(64);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'UsageError', code: 'USAGE', message: '--state-dir afile is not a directory' });
  });
});
