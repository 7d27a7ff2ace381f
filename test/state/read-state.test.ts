/**
 * readState on a state file that is not one gridops can use: an InputFileError naming the file,
 * with a hint, never a bare SyntaxError or TypeError, and never a state of another grid or format used as this one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError } from '../../src/errors/index.js';
import { readState } from '../../src/state/state.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-read-state-'));
  file = join(dir, 'g.state.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const refusal = async (text: string): Promise<InputFileError> => {
  writeFileSync(file, text);
  const err = await readState(file, 'g').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputFileError);
  return err as InputFileError;
};

describe('readState refuses a state file it cannot use', () => {
  it.each([
    ['an empty file', ''],
    ['cut-off JSON', '{'],
    ['null', 'null'],
    ['an empty object', '{}'],
    ['an array', '[]'],
    ['hosts not an object', JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: [] })],
    ['serial not a number', JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: '1', hosts: {} })],
  ])('%s: cannot read state FILE, and what restoring or moving it aside means', async (_what, text) => {
    const err = await refusal(text);
    expect(err.message).toContain(`cannot read state ${file}: `);
    expect(err.hint).toMatch(/backup/);
    expect(err.hint).toMatch(/never applied/);
  });

  it('another format (a newer gridops): refused, naming the format', async () => {
    const err = await refusal(JSON.stringify({ format: 'gridops-state/v2', grid: 'g', serial: 1, hosts: {} }));
    expect(err.message).toBe(`cannot read state ${file}: its format is "gridops-state/v2", not gridops-state/v1 (written by a newer gridops?)`);
  });

  it("another grid's state: refused, naming both grids", async () => {
    const err = await refusal(JSON.stringify({ format: 'gridops-state/v1', grid: 'other', serial: 1, hosts: {} }));
    expect(err.message).toBe(`cannot read state ${file}: it is the state of grid "other", not of grid "g"`);
  });

  it('a directory in its place: refused, saying so', async () => {
    mkdirSync(file);
    await expect(readState(file, 'g')).rejects.toThrow(`cannot read state ${file}: it is a directory`);
  });
});

describe('readState reads what it can use', () => {
  it('no file: the empty state of the grid', async () => {
    await expect(readState(file, 'g')).resolves.toEqual({ format: 'gridops-state/v1', grid: 'g', serial: 0, hosts: {} });
  });

  it('a state of this grid, as written', async () => {
    const state = { format: 'gridops-state/v1', grid: 'g', serial: 3, hosts: {} };
    writeFileSync(file, JSON.stringify(state));
    await expect(readState(file, 'g')).resolves.toEqual(state);
  });
});
