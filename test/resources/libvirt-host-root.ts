/**
 * A libvirt probe or playbook command run as though the host's root were a test's own directory:
 * where it looks for libvirt's daemons (/usr/sbin) and its persistent definitions (/etc/libvirt),
 * so that a test decides which are there, whatever this machine has installed.
 */
export function underRoot(script: string, root: string): string {
  return script.replaceAll('/usr/sbin/', `${root}/usr/sbin/`).replaceAll('/etc/libvirt/', `${root}/etc/libvirt/`);
}
