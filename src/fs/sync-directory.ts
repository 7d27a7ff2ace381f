import { open } from 'node:fs/promises';

/**
 * fsyncs the directory `dir`, so a name just renamed, linked or created in it survives a power
 * loss: fsync of the file makes its content durable, not the directory entry that names it, and
 * after a crash the old file (or none) may be back. Needed by every write that must outlast a
 * SIGKILL or power loss (the state, the grid key).
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (err) {
    // A directory this user may write but not read (mode 0300) cannot be opened to fsync: the
    // file is in place all the same, and failing the run for it would report a written state as lost.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    // Some file systems cannot fsync a directory and say so (EINVAL on some network and FUSE
    // mounts, ENOTSUP elsewhere): nothing more durable can be had there, and the write itself is done.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
  } finally {
    await handle.close();
  }
}
