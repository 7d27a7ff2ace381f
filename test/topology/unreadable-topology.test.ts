import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A file stat(2) can see but read(2) is refused (mode 000 for another user): the tests run as root,
// which chmod does not stop, so readFile alone refuses the files named `unreadable.yaml`.
jest.unstable_mockModule('node:fs/promises', () => ({
  ...realFs,
  readFile: async (file: string, ...rest: unknown[]) => {
    if (String(file).endsWith('unreadable.yaml')) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
    return (realFs.readFile as (...a: unknown[]) => Promise<unknown>)(file, ...rest);
  },
}));
const { checkTopologyFile } = await import('../../src/topology/load.js');
const { InputFileError } = await import('../../src/errors/index.js');

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-unreadable-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a topology file that cannot be read', () => {
  it('is an InputFileError naming it, not the raw EACCES', async () => {
    const file = join(dir, 'unreadable.yaml');
    writeFileSync(file, 'apiVersion: gridops/v1\n');
    const checked = checkTopologyFile(file);
    await expect(checked).rejects.toThrow(InputFileError);
    await expect(checkTopologyFile(file)).rejects.toThrow(`topology file ${file} is not readable (permission denied)`);
  });
});
