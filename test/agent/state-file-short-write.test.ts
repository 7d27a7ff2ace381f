import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { readStateFile, writeStateFile } from '../../src/agent/runtime/state-file.js';

/**
 * A write cut short must fail, not replace the good file with a part of the new one. writeSync
 * writes what it can and says how much: called once with its count ignored, a write stopped by a
 * file size limit (or a full quota part-way) was fsynced and renamed over the good state file, and
 * the next start found it damaged and refused to run (exit 78). The leave marker and the leave
 * token are written the same way (writePrivateFile).
 *
 * A child under `ulimit -f 2` (1 or 2 KiB, by the shell) runs the real writeStateFile, bundled from
 * src/ by esbuild, with more than that: Node ignores SIGXFSZ, so the first write stops at the limit
 * and the next one fails with EFBIG.
 */
describe('a state file write cut short by a file size limit', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridagent-short-write-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('fails, removes its temp file, and leaves the old state file as it was', () => {
    const path = join(dir, 'n1.state.json');
    writeStateFile(path, { epoch: 7, state: null });
    const writer = join(dir, 'writer.mjs');
    buildSync({
      stdin: {
        contents: `
          import { writeStateFile } from './src/agent/runtime/state-file.ts';
          try {
            writeStateFile(process.argv[2], { epoch: 8, state: { padding: 'x'.repeat(3000) } });
            process.stdout.write('written');
          } catch (error) {
            process.stdout.write('failed: ' + error.message);
          }
        `,
        resolveDir: fileURLToPath(new URL('../../', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: writer,
      logLevel: 'error',
    });
    const run = spawnSync('sh', ['-c', 'ulimit -f 2; exec "$0" "$1" "$2"', process.execPath, writer, path], { encoding: 'utf8' });
    expect({ status: run.status, signal: run.signal, stdout: run.stdout }).toEqual({ status: 0, signal: null, stdout: expect.stringMatching(/^failed: /) });
    expect(readStateFile(path)).toEqual({ epoch: 7, state: null });
    expect(readdirSync(dir).sort()).toEqual(['n1.state.json', 'writer.mjs']);
  });
});
