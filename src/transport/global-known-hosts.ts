/**
 * Which known_hosts files a node's host key is checked against, as OpenSSH's: the topology's
 * ssh.knownHosts (UserKnownHostsFile: the one new keys are written to), then the global files
 * (GlobalKnownHostsFile), read only. An organisation's `@revoked` or `@cert-authority` line in
 * /etc/ssh/ssh_known_hosts refuses or vouches for a host for gridops as it does for `ssh`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectionError } from '../errors/index.js';
import type { Node } from '../topology/model.js';
import { KnownHosts } from './known-hosts.js';
import { sshConfigFor, type LoadedSshConfig, type SshConfigValues } from './ssh-config.js';
import { expandHome } from './expand-home.js';

/** OpenSSH's GlobalKnownHostsFile default (ssh_config(5)). */
export const DEFAULT_GLOBAL_KNOWN_HOSTS: readonly string[] = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

export interface KnownHostsFiles {
  /** The topology's file, where --accept-new-host-keys records keys. */
  writable: string;
  /** The global files: read, never written. */
  readOnly: readonly string[];
}

/** The node's files: its ssh.knownHosts, and ~/.ssh/config's GlobalKnownHostsFile for it (`none`: no global file), else OpenSSH's default. */
export function knownHostsFilesOf(node: Pick<Node, 'name' | 'address' | 'settings'>, sshConfig: LoadedSshConfig | undefined): KnownHostsFiles {
  return knownHostsFilesFrom(node, sshConfigFor(sshConfig, node));
}

/** knownHostsFilesOf from the node's ~/.ssh/config values already looked up (the run looks each node up once). */
export function knownHostsFilesFrom(node: Pick<Node, 'settings'>, values: SshConfigValues): KnownHostsFiles {
  const fromConfig = values.globalKnownHostsFiles;
  const readOnly = fromConfig === undefined ? DEFAULT_GLOBAL_KNOWN_HOSTS : fromConfig.some((f) => f.toLowerCase() === 'none') ? [] : fromConfig.map(expandHome);
  return { writable: expandHome(node.settings.ssh.knownHosts), readOnly };
}

/**
 * Reads the files (a missing one counts as empty, as for ssh). One that is there but cannot be
 * read stops the run, naming it: going on without it would drop its `@revoked` lines unseen.
 */
export async function loadKnownHostsOf(files: KnownHostsFiles): Promise<KnownHosts> {
  try {
    return await KnownHosts.load(files.writable, files.readOnly);
  } catch (err) {
    // fs's error does not always carry the path (EISDIR): the first file that still cannot be read is the one.
    const file = (err as NodeJS.ErrnoException).path ?? [files.writable, ...files.readOnly].find(unreadable) ?? files.writable;
    const global = files.readOnly.includes(file);
    // A directory is a wrong path, which no change of permissions mends.
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') {
      const hint = global ? 'name files, not a directory, with GlobalKnownHostsFile in ~/.ssh/config' : `point ssh.knownHosts in the topology at a file, not a directory (such as ${join(file, 'known_hosts')})`;
      throw new ConnectionError(file, `cannot read the known_hosts file ${file}: it is a directory, not a file`, hint, { cause: err });
    }
    const hint = global ? 'fix its permissions, or name the global files to read with GlobalKnownHostsFile in ~/.ssh/config' : 'fix its permissions, or check ssh.knownHosts in the topology';
    throw new ConnectionError(file, `cannot read the known_hosts file ${file}: ${(err as Error).message}`, hint, { cause: err });
  }
}

/** One key per distinct set of files: nodes that share it share one KnownHosts (and one pool). */
export function knownHostsFilesKey(files: KnownHostsFiles): string {
  return JSON.stringify([files.writable, ...files.readOnly]);
}

/** Whether `file` is there but cannot be read (a missing file is read as empty). */
function unreadable(file: string): boolean {
  try {
    readFileSync(file);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
