/**
 * The state's backup, as Terraform keeps terraform.tfstate.backup: before each write, the state
 * as it was is written beside it (GRID.state.json.backup, mode 0600, atomically), and the refusal
 * of a state gridops cannot use points at it when it is there.
 */
import { jest } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every rename is noted: the backup must land by one, never be written in place.
const renamed: string[] = [];
jest.unstable_mockModule('node:fs/promises', () => ({
  ...realFs,
  rename: (async (from: string, to: string) => {
    renamed.push(String(to));
    return realFs.rename(from, to);
  }) as typeof realFs.rename,
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
});
