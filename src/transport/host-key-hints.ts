/**
 * The hints of host key errors: the commands they suggest name the known_hosts file the run
 * actually uses (the node's ssh.knownHosts, which need not be ~/.ssh/known_hosts), with every word
 * quoted by the one shell-quoting function, so a path with spaces or quotes pastes as one word.
 */
import { quote, sh } from './quote.js';

/** A key not in the file: check it out of band, then accept it or append it to `file`. */
export function unknownHostKeyHint(host: string, port: number, file: string): string {
  return `verify this fingerprint out of band (e.g. \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the host's console), then rerun with --accept-new-host-keys, or add it with \`${keyscan(host, port, file)}\``;
}

/** The file does not exist at all. */
export function missingKnownHostsHint(host: string, port: number, file: string): string {
  return `check ssh.knownHosts in the topology; if the path is right, verify the fingerprint out of band and rerun with --accept-new-host-keys to create it, or create it with \`${keyscan(host, port, file)}\``;
}

/** Another key is recorded for `name` (as known_hosts files it) in `file`. */
export function changedHostKeyHint(name: string, file: string): string {
  return `if the change is expected, verify the new fingerprint out of band, then remove the old key with \`${sh(['ssh-keygen', '-R', name, '-f', file])}\` and rerun with --accept-new-host-keys`;
}

function keyscan(host: string, port: number, file: string): string {
  return `${sh(['ssh-keyscan', '-p', port, host])} >> ${quote(file)}`;
}
