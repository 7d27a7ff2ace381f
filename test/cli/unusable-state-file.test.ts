/**
 * A state file gridops cannot use, and a `graph --out` it cannot write, through the built binary:
 * `error:` naming the file and a `hint:`, exit 1, and with --json the shape of every gridops error.
 * No host is contacted.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

describe('a state file gridops cannot use (the binary)', () => {
  let dir: string;
  const stateFile = () => join(dir, '.gridops', 'g.state.json');
  const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: dir, encoding: 'utf8', timeout: 20_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-unusable-state-'));
    writeFileSync(join(dir, 'grid.yaml'), 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
    mkdirSync(join(dir, '.gridops'));
    writeFileSync(stateFile(), '{');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['state', 'show', 'grid.yaml', 'n1'],
    ['state', 'list', 'grid.yaml'],
    ['state', 'rm', 'grid.yaml', 'n1'],
  ])('%s %s: exit 1, the file and a hint; the file left as it was', (...args) => {
    const r = run(...args);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error: cannot read state .gridops/g.state.json: it is not JSON');
    expect(r.stderr).toContain('hint: gridops has no backup of it yet (.gridops/g.state.json.backup is written before each write after the first): restore .gridops/g.state.json from a copy of your own if you have one');
    expect(r.stderr).not.toContain('SyntaxError');
    expect(readFileSync(stateFile(), 'utf8')).toBe('{');
  });

  it('--json: the error as every gridops error prints it', () => {
    const r = run('state', 'list', 'grid.yaml', '--json');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'InputFileError', code: 'INPUT_FILE', message: expect.stringContaining('cannot read state .gridops/g.state.json'), hint: expect.stringContaining('backup') });
  });

  it('graph --out where a file stands in its path: exit 1, the path and a hint, in both outputs', () => {
    writeFileSync(join(dir, 'notes'), 'x');
    const out = join(dir, 'notes', 'grid.dot');
    const r = run('graph', 'grid.yaml', '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: cannot write ${out}: ${join(dir, 'notes')} is a file, not a directory`);
    expect(r.stderr).toContain('hint: ');
    const j = run('graph', 'grid.yaml', '--out', out, '--json');
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: 'InputFileError', code: 'INPUT_FILE', message: expect.stringContaining(`cannot write ${out}`) });
  });
});
