import { link, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeNewFile, writeTempBeside } from './atomic-write.js';
import { hardLinksUnsupported } from './hard-links-unsupported.js';
import { syncDirectory } from './sync-directory.js';

/**
 * Creates `file` with `content` unless something is already there, and never half-written: a
 * temp file (fsync'd) is linked into place, and link(2), unlike rename(2), fails when the name is
 * taken. So two runs that both find no key agree on one: the second keeps the first's. Returns
 * whether this call created it. The directory is fsync'd after a create, so a key that agents were
 * given is still the grid's key after a power loss.
 */
export async function createFileOnce(file: string, content: string | Buffer, mode = 0o600): Promise<boolean> {
  const created = await placeOnce(file, content, mode);
  if (created) await syncDirectory(dirname(file));
  return created;
}

/** createFileOnce without the directory's fsync: whether this call made `file`. */
async function placeOnce(file: string, content: string | Buffer, mode: number): Promise<boolean> {
  const tmp = await writeTempBeside(file, content, mode);
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links (some FUSE, SMB or FAT mounts): an exclusive create of the
    // name itself, still never replacing anything, only not proof against a crash mid-write.
    if (hardLinksUnsupported(code)) return createExclusive(file, content, mode);
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function createExclusive(file: string, content: string | Buffer, mode: number): Promise<boolean> {
  try {
    await writeNewFile(file, content, mode);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
