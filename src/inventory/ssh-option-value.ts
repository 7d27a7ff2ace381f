/**
 * A path as the value of an OpenSSH option (`-o UserKnownHostsFile=…`, `-o IdentityFile=…`) that
 * OpenSSH reads back as that one path: ssh splits such a value on whitespace (UserKnownHostsFile
 * takes several files) unless it is double-quoted, where `\` escapes `"` and `\`; and it expands
 * `%` tokens in it, so a literal `%` is written `%%`. A path of only plain characters stays as it is.
 */
export function sshOptionPath(path: string): string {
  if (/^[A-Za-z0-9_@+=:,./~-]+$/.test(path)) return path;
  return `"${path.replace(/%/g, '%%').replace(/(["\\])/g, '\\$1')}"`;
}
