import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputFileTrouble } from '../../src/fs/input-file.js';

/** What a path given as a file to read is, told from its stat or from the error stat gave (node's own, of another realm than the test's). */
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-input-file-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const troubleOf = (file: string) => {
  try {
    return inputFileTrouble(file, statSync(file));
  } catch (err) {
    return inputFileTrouble(file, err as NodeJS.ErrnoException);
  }
};

describe('inputFileTrouble', () => {
  it('a regular file, also behind a symlink, is none; a missing one is left to the caller', () => {
    const file = join(dir, 'grid.yaml');
    writeFileSync(file, 'x: 1\n');
    symlinkSync(file, join(dir, 'link.yaml'));
    expect(troubleOf(file)).toBeUndefined();
    expect(troubleOf(join(dir, 'link.yaml'))).toBeUndefined();
    expect(troubleOf(join(dir, 'missing.yaml'))).toBeUndefined();
  });

  it('a named pipe, a device and a directory are named as what they are', () => {
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(troubleOf(fifo)).toEqual({ why: 'is a named pipe (FIFO), not a regular file', hint: 'give the path of a regular file: save what it gives to a file first, then give that file' });
    expect(troubleOf('/dev/null')?.why).toBe('is a device, not a regular file');
    expect(troubleOf(dir)).toEqual({ why: 'is a directory, not a regular file', hint: 'give the path of a file in it, not of the folder' });
  });

  it('a symbolic link loop, from the error node gives, says to fix the link', () => {
    const loop = join(dir, 'a.yaml');
    symlinkSync(join(dir, 'b.yaml'), loop);
    symlinkSync(loop, join(dir, 'b.yaml'));
    expect(troubleOf(loop)).toEqual({ why: 'is a symbolic link loop (ELOOP): its links lead back to themselves', hint: `fix the link: \`ls -l ${loop}\` shows where it points; point it at the file itself, or give the file's own path` });
  });
});
