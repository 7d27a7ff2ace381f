import { chmod, copyFile, open, unlink } from 'node:fs/promises';
import { renameIntoPlace, tempNameBeside } from './atomic-write.js';

/**
 * Keeps `file` as it is now at `backup` (mode `mode`), atomically: a copy, fsync'd, renamed over
 * the backup. A copy, not a hard link: a link shares the file's inode, so giving the backup its
 * mode changed the live file's too, and a write of the file that then failed left the file and
 * its backup one inode. The files kept (the state) are small. Nothing is done when `file` does not
 * exist. Never parses the file: a caller that reads it once (the state) keeps that one read.
 */
export async function keepPrevious(file: string, backup: string, mode: number): Promise<void> {
  const tmp = tempNameBeside(backup);
  try {
    await copyFile(file, tmp);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    // chmod, not copyFile's mode: the backup's mode is then exact, whatever the umask.
    await chmod(tmp, mode);
    const handle = await open(tmp, 'r+');
    await handle.sync().finally(() => handle.close());
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await renameIntoPlace(tmp, backup);
}
