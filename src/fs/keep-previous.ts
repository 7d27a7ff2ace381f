import { randomBytes } from 'node:crypto';
import { chmod, copyFile, link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hardLinksUnsupported } from './hard-links-unsupported.js';
import { syncDirectory } from './sync-directory.js';

/**
 * Keeps `file` as it is now at `backup` (mode `mode`), atomically: a hard link to it, renamed over
 * the backup. Sound only for a file that is replaced by a rename, never written in place, so the
 * inode linked keeps the previous content (writeFileAtomic's files). Without hard links, a copy,
 * fsync'd. Nothing is done when `file` does not exist. Never reads the file's content: a caller
 * that reads it once (the state) keeps that one read.
 */
export async function keepPrevious(file: string, backup: string, mode: number): Promise<void> {
  const tmp = join(dirname(backup), `.${basename(backup)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await link(file, tmp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (!hardLinksUnsupported(code)) throw err;
    await copyFile(file, tmp).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    const handle = await open(tmp, 'r+').catch(() => undefined);
    if (!handle) return;
    await handle.sync().finally(() => handle.close());
  }
  try {
    await chmod(tmp, mode);
    await rename(tmp, backup);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(backup));
}
