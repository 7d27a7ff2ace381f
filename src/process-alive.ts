/**
 * Whether process `pid` still exists on this machine (a zombie its parent has not reaped counts):
 * signal 0 checks without signalling, and EPERM means it exists under another user.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
