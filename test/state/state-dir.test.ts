import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateLock } from '../../src/state/lock.js';
import { ensureStateDir, statePaths, writeState } from '../../src/state/state.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-state-dir-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const modeOf = (path: string) => statSync(path).mode & 0o777;
/** What mkdir and a plain file creation give under this process's umask: the modes gridops always had. */
const umask = process.umask();
const gitignore = (stateDir: string) => join(stateDir, '.gitignore');

describe('the state directory keeps itself out of git', () => {
  it('a directory gridops creates gets a .gitignore that ignores everything', async () => {
    const stateDir = join(dir, 'topo', '.gridops');
    await ensureStateDir(stateDir);
    const lines = readFileSync(gitignore(stateDir), 'utf8').split('\n');
    expect(lines).toContain('*');
    expect(lines.filter((l) => l && !l.startsWith('#'))).toEqual(['*']);
    // Modes as before: the directory as mkdir makes it, the .gitignore an ordinary file.
    expect(modeOf(stateDir)).toBe(0o777 & ~umask);
    expect(modeOf(gitignore(stateDir))).toBe(0o666 & ~umask);
  });

  it('an existing directory is left alone: its .gitignore is not overwritten, and a removed one is not put back', async () => {
    const kept = join(dir, 'kept');
    mkdirSync(kept);
    writeFileSync(gitignore(kept), 'GRID.key\n');
    await ensureStateDir(kept);
    expect(readFileSync(gitignore(kept), 'utf8')).toBe('GRID.key\n');

    const removed = join(dir, 'removed');
    await ensureStateDir(removed);
    unlinkSync(gitignore(removed));
    await ensureStateDir(removed);
    expect(existsSync(gitignore(removed))).toBe(false);
  });

  it("apply's lock, the first thing it writes, creates the .gitignore with the directory", async () => {
    const paths = statePaths(join(dir, 'grid.yaml'), 'g');
    const lock = await StateLock.acquire(paths.lock, 'test');
    await lock.release();
    expect(readFileSync(gitignore(join(dir, '.gridops')), 'utf8')).toContain('*');
  });

  it('so does writing the state (a --state-dir that does not exist yet), and the state keeps mode 0600', async () => {
    const paths = statePaths(join(dir, 'grid.yaml'), 'g', join(dir, 'elsewhere', 'state'));
    await writeState(paths.state, { format: 'gridops-state/v1', grid: 'g', serial: 0, hosts: {} });
    expect(readFileSync(gitignore(join(dir, 'elsewhere', 'state')), 'utf8')).toContain('*');
    expect(existsSync(gitignore(join(dir, 'elsewhere')))).toBe(false);
    expect(modeOf(paths.state)).toBe(0o600);
  });
});
