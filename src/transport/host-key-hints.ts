/**
 * The hints of host key errors: the commands they suggest name the known_hosts file the run
 * actually uses (the node's ssh.knownHosts, which need not be ~/.ssh/known_hosts), with every word
 * quoted by the one shell-quoting function, so a path with spaces or quotes pastes as one word.
 * A host reached through a jump host may have no route from this machine: its key is fetched by
 * ssh-keyscan run on the jump host, never by a direct one that would fail or reach another host.
 */
import { dirname } from 'node:path';
import { quote, sh } from './quote.js';

/** The jump host a node is reached through, as its connection names it (root and port 22 where it names neither). */
export interface HintJumpHost {
  host: string;
  port?: number;
  user?: string;
}

/** A key not in the file: check it out of band, then accept it or append it to `file`. */
export function unknownHostKeyHint(host: string, port: number, file: string, jump?: HintJumpHost): string {
  return `verify this fingerprint out of band (e.g. \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the host's console${jump ? `; the host is reached through the jump host ${jumpName(jump)}` : ''}), then rerun with --accept-new-host-keys, or add it with \`${keyscan(host, port, file, jump)}\``;
}

/**
 * The file does not exist at all. `dirExists` false: nor does its directory, which `>>` cannot
 * create, so the command makes it first (--accept-new-host-keys makes it itself).
 */
export function missingKnownHostsHint(host: string, port: number, file: string, jump?: HintJumpHost, dirExists = true): string {
  const command = dirExists ? keyscan(host, port, file, jump) : `${sh(['mkdir', '-p', dirname(file)])} && ${keyscan(host, port, file, jump)}`;
  return `check ssh.knownHosts in the topology; if the path is right, verify the fingerprint out of band and rerun with --accept-new-host-keys to create it, or create it with \`${command}\``;
}

/** Another key is recorded for `name` (as known_hosts files it) in `file`. */
export function changedHostKeyHint(name: string, file: string): string {
  return `if the change is expected, verify the new fingerprint out of band, then remove the old key with \`${sh(['ssh-keygen', '-R', name, '-f', file])}\` and rerun with --accept-new-host-keys`;
}

function keyscan(host: string, port: number, file: string, jump?: HintJumpHost): string {
  const scan = sh(['ssh-keyscan', '-p', port, host]);
  // Through the jump host, the scan is one remote command: quoted once more for the local shell, which hands it to ssh as one word.
  const command = jump ? sh(['ssh', '-p', jump.port ?? 22, `${jump.user ?? 'root'}@${jump.host}`, scan]) : scan;
  return `${command} >> ${quote(file)}`;
}

function jumpName(jump: HintJumpHost): string {
  return `${jump.user ?? 'root'}@${jump.host.includes(':') ? `[${jump.host}]` : jump.host}:${jump.port ?? 22}`;
}
