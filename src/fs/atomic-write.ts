import { randomBytes } from 'node:crypto';
import { open, rename, unlink, mkdir } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { syncDirectory } from './sync-directory.js';

/**
 * Writes a file so readers see the old or the new content, never a mix: temp file, fsync, rename,
 * then an fsync of the directory, so the new content is still there after a power loss.
 */
export async function writeFileAtomic(file: string, content: string | Buffer, mode = 0o644): Promise<void> {
  const tmp = await writeTempBeside(file, content, mode);
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(file));
}

/**
 * Writes `content` (fsync'd, with `mode`) to a new temp file in `file`'s directory, made if need
 * be, and returns its path: a name of this process's own, for a rename or link into place.
 */
export async function writeTempBeside(file: string, content: string | Buffer, mode: number): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  await writeNewFile(tmp, content, mode);
  return tmp;
}

/** Creates `file` (failing with EEXIST when something is there) with `content` and `mode`, fsync'd. */
export async function writeNewFile(file: string, content: string | Buffer, mode: number): Promise<void> {
  const handle = await open(file, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
