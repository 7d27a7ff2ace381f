import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/**
 * A folder holding a copy of examples/ and a stand-in for the sandbox image they name
 * (examples/images/sandbox.img, which `gridops lab image` builds and git does not hold; validate
 * checks that it is a file, and only a plan reads it). Run from `cwd`, `examples/small.yaml` is
 * valid as in a checkout where the image was built.
 */
export function examplesWithImage(): { cwd: string; remove: () => void } {
  const cwd = mkdtempSync(join(tmpdir(), 'gridops-examples-'));
  cpSync(`${root}examples`, join(cwd, 'examples'), { recursive: true });
  mkdirSync(join(cwd, 'examples/images'), { recursive: true });
  writeFileSync(join(cwd, 'examples/images/sandbox.img'), '');
  return { cwd, remove: () => rmSync(cwd, { recursive: true, force: true }) };
}
