/**
 * Whether link(2) failed with `code` because the file system has no hard links (some FUSE, SMB,
 * FAT and exFAT mounts): those who link a finished file into place fall back to another way.
 */
export function hardLinksUnsupported(code: string | undefined): boolean {
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS';
}
