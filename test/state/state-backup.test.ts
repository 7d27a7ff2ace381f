/**
 * The state's backup, as Terraform keeps terraform.tfstate.backup: before each write, the state
 * as it was is written beside it (GRID.state.json.backup, mode 0600, atomically), and the refusal
 * of a state gridops cannot use points at it when it is there.
 */
import { jest } from '@jest/globals';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every rename is noted: the backup must land by one, never be written in place. A rename onto
// `failRenameTo` fails (a full disk), and reading `unreadable` is refused as root's 0600 file is.
const renamed: string[] = [];
let failRenameTo: string | undefined;
let unreadable: string | undefined;
jest.unstable_mockModule('node:fs/promises', () => ({
  ...realFs,
  rename: (async (from: string, to: string) => {
    if (String(to) === failRenameTo) throw Object.assign(new Error(`ENOSPC: no space left on device, rename '${from}' -> '${to}'`), { code: 'ENOSPC' });
    renamed.push(String(to));
    return realFs.rename(from, to);
  }) as typeof realFs.rename,
  readFile: ((path: string, ...rest: unknown[]) => {
    if (String(path) === unreadable) return Promise.reject(Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' }));
    return (realFs.readFile as (...args: unknown[]) => Promise<unknown>)(path, ...rest);
  }) as typeof realFs.readFile,
}));
const { InputFileError } = await import('../../src/errors/index.js');
const { readState, stateBackupPath, writeState } = await import('../../src/state/state.js');
type GridState = import('../../src/state/state.js').GridState;

let dir: string;
let file: string;
const state = (serial: number, hosts: string[]): GridState => ({
  format: 'gridops-state/v1',
  grid: 'g',
  serial,
  hosts: Object.fromEntries(hosts.map((h) => [h, { topologyHash: 'h', playbooks: [], gridopsVersion: '0.1.0', agentVersion: null, appliedAt: '2026-01-01T00:00:00.000Z', changesApplied: 0, lastOutcome: 'applied' as const }])),
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-state-backup-'));
  file = join(dir, '.gridops', 'g.state.json');
  renamed.length = 0;
  failRenameTo = undefined;
  unreadable = undefined;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the state backup', () => {
  it('the first write has nothing to keep; each later one keeps the previous content, mode 0600, renamed into place', async () => {
    await writeState(file, state(0, ['n1']));
    expect(existsSync(stateBackupPath(file))).toBe(false);
    const first = readFileSync(file, 'utf8');
    renamed.length = 0;
    await writeState(file, state(1, ['n1', 'n2']));
    expect(readFileSync(stateBackupPath(file), 'utf8')).toBe(first);
    expect(statSync(stateBackupPath(file)).mode & 0o777).toBe(0o600);
    expect(renamed).toEqual([stateBackupPath(file), file]);
    const second = readFileSync(file, 'utf8');
    await writeState(file, state(2, []));
    expect(readFileSync(stateBackupPath(file), 'utf8')).toBe(second);
    // No temp file of either write left behind.
    expect(readdirSync(join(dir, '.gridops')).sort()).toEqual(['.gitignore', 'g.state.json', 'g.state.json.backup']);
  });

  it('a state gridops cannot use: the hint names the backup and how to restore it, when there is one', async () => {
    await writeState(file, state(0, ['n1']));
    await writeState(file, state(1, ['n1']));
    writeFileSync(file, '{');
    const err = (await readState(file, 'g').catch((e: unknown) => e)) as InstanceType<typeof InputFileError>;
    expect(err).toBeInstanceOf(InputFileError);
    expect(err.hint).toBe(
      `restore the state before gridops' last write from its backup: \`cp ${stateBackupPath(file)} ${file}\`; moving ${file} aside instead makes every node read as never applied, and nodes the topology dropped are then no longer decommissioned`,
    );
  });

  it('without a backup, the hint does not assume one', async () => {
    await writeState(file, state(0, ['n1']));
    writeFileSync(file, '{');
    const err = (await readState(file, 'g').catch((e: unknown) => e)) as InstanceType<typeof InputFileError>;
    expect(err.hint).toBe(
      `gridops has no backup of it yet (${stateBackupPath(file)} is written before each write after the first): restore ${file} from a copy of your own if you have one; moving it aside makes every node read as never applied, and nodes the topology dropped are then no longer decommissioned`,
    );
  });

  it('the backup is a file of its own: the live state keeps its mode, and a write that then fails leaves the two apart', async () => {
    await writeState(file, state(0, ['n1']));
    await writeState(file, state(1, ['n1']));
    chmodSync(file, 0o640);
    const live = readFileSync(file, 'utf8');
    failRenameTo = file;
    await expect(writeState(file, state(2, ['n1', 'n2']))).rejects.toThrow(/ENOSPC/);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(statSync(stateBackupPath(file)).mode & 0o777).toBe(0o600);
    expect(statSync(file).ino).not.toBe(statSync(stateBackupPath(file)).ino);
    expect(readFileSync(file, 'utf8')).toBe(live);
    expect(readFileSync(stateBackupPath(file), 'utf8')).toBe(live);
    // Written to one, the other is as it was.
    writeFileSync(file, '{');
    expect(readFileSync(stateBackupPath(file), 'utf8')).toBe(live);
  });

  it('a state that cannot be read at all (root-owned, mode 0600) is not damaged: the hint is its owner and mode, never the cp over it', async () => {
    await writeState(file, state(0, ['n1']));
    await writeState(file, state(1, ['n1']));
    unreadable = file;
    const err = (await readState(file, 'g').catch((e: unknown) => e)) as InstanceType<typeof InputFileError>;
    expect(err).toBeInstanceOf(InputFileError);
    expect(err.message).toBe(`cannot read state ${file}: EACCES: permission denied, open '${file}'`);
    expect(err.hint).not.toContain('cp ');
    expect(err.hint).toBe(`\`ls -l ${file}\` shows its owner and mode: run gridops as its owner (a run under sudo makes it root's), or give it to your user with \`sudo chown\`; its content is not in question, so do not restore the backup over it`);
  });
});
