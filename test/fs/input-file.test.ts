import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputFileTrouble } from '../../src/fs/input-file.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { checkTopologyFile } from '../../src/topology/load.js';

/** What a path given as a file to read is, told from its stat or from the error stat gave (node's own, of another realm than the test's). */
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-input-file-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const troubleOf = (file: string) => {
  try {
    return inputFileTrouble(statSync(file));
  } catch (err) {
    return inputFileTrouble(err as NodeJS.ErrnoException);
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

  it('a named pipe is read (process substitution gives one: `gridops plan <(gen)`); a device and a directory are named as what they are', () => {
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(troubleOf(fifo)).toBeUndefined();
    expect(troubleOf('/dev/null')).toEqual({ why: 'is a device, not a regular file', hint: 'give the path of a regular file: save what it gives to a file first, then give that file' });
    expect(troubleOf(dir)).toEqual({ why: 'is a directory, not a regular file', hint: 'give the path of a file in it, not of the folder' });
  });

  it('a symbolic link loop, from the error node gives, says to fix the link', () => {
    const loop = join(dir, "it's a.yaml");
    symlinkSync(join(dir, 'b.yaml'), loop);
    symlinkSync(loop, join(dir, 'b.yaml'));
    // The path, which may hold anything a shell acts on, is not pasted into the command.
    expect(troubleOf(loop)).toEqual({ why: 'is a symbolic link loop (ELOOP): its links lead back to themselves', hint: "fix the link: `ls -l` on that path shows where it points; point it at the file itself, or give the file's own path" });
  });

  it('a named pipe with a writer is read as a topology and as a playbook, as `cat` reads it', async () => {
    const topologyPipe = join(dir, 'topology.fifo');
    const playbookPipe = join(dir, 'playbook.fifo');
    execFileSync('mkfifo', [topologyPipe, playbookPipe]);
    const topology = 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: piped }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n';
    const writer = (pipe: string, text: string) => spawn('sh', ['-c', 'printf %s "$1" > "$2"', 'sh', text, pipe], { stdio: 'ignore' });
    const writers = [writer(topologyPipe, topology)];
    const checked = await checkTopologyFile(topologyPipe);
    expect(checked.problems).toEqual([]);
    expect(checked.grid?.name).toBe('piped');
    // Read synchronously, so its writer runs outside this process.
    writers.push(writer(playbookPipe, 'name: piped\nresources:\n  - file: { path: /etc/x, content: hi }\n'));
    expect(loadPlaybook(playbookPipe).name).toBe('piped');
    await Promise.all(writers.map((w) => new Promise((done) => (w.exitCode === null ? w.on('exit', done) : done(undefined)))));
  });
});
