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
  await renameIntoPlace(tmp, file);
}

/**
 * Writes `content` (fsync'd, with `mode`) to a new temp file in `file`'s directory, made if need
 * be, and returns its path: a name of this process's own, for a rename or link into place.
 */
export async function writeTempBeside(file: string, content: string | Buffer, mode: number): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = tempNameBeside(file);
  await writeNewFile(tmp, content, mode);
  return tmp;
}

/** A fresh temp path in `file`'s directory, of this process's own: the same directory so a rename into place stays atomic. */
export function tempNameBeside(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Renames `tmp` over `file` (removing `tmp` when that fails), then fsyncs the directory so the rename survives a power loss. */
export async function renameIntoPlace(tmp: string, file: string): Promise<void> {
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(file));
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
