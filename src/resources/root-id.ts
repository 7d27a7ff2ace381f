/**
 * Whether a user or group, as libvirt reads one (qemu.conf's `user` and `group`, the parts of a DAC
 * label), is root's: the name root, or any number that is 0. libvirt (virGetUserID, virGetGroupID)
 * takes a number with or without its leading `+` as an id where no account has that name, so
 * `0`, `00`, `+0` and `+00` are all uid or gid 0.
 */
export function namesRoot(userOrGroup: string): boolean {
  return userOrGroup === 'root' || (/^\+?\d+$/.test(userOrGroup) && Number(userOrGroup) === 0);
}
