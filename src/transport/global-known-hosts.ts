/**
 * Which known_hosts files a node's host key is checked against, as OpenSSH's: the topology's
 * ssh.knownHosts (UserKnownHostsFile: the one new keys are written to), then the global files
 * (GlobalKnownHostsFile), read only. An organisation's `@revoked` or `@cert-authority` line in
 * /etc/ssh/ssh_known_hosts refuses or vouches for a host for gridops as it does for `ssh`.
 */
import type SSHConfig from 'ssh-config';
import type { Node } from '../topology/model.js';
import { KnownHosts } from './known-hosts.js';
import { sshConfigFor } from './ssh-config.js';
import { expandHome } from './ssh-transport.js';

/** OpenSSH's GlobalKnownHostsFile default (ssh_config(5)). */
export const DEFAULT_GLOBAL_KNOWN_HOSTS: readonly string[] = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

export interface KnownHostsFiles {
  /** The topology's file, where --accept-new-host-keys records keys. */
  writable: string;
  /** The global files: read, never written. */
  readOnly: readonly string[];
}

/** The node's files: its ssh.knownHosts, and ~/.ssh/config's GlobalKnownHostsFile for it (`none`: no global file), else OpenSSH's default. */
export function knownHostsFilesOf(node: Pick<Node, 'name' | 'address' | 'settings'>, sshConfig: SSHConfig | undefined): KnownHostsFiles {
  const fromConfig = sshConfigFor(sshConfig, node).globalKnownHostsFiles;
  const readOnly = fromConfig === undefined ? DEFAULT_GLOBAL_KNOWN_HOSTS : fromConfig.some((f) => f.toLowerCase() === 'none') ? [] : fromConfig.map(expandHome);
  return { writable: expandHome(node.settings.ssh.knownHosts), readOnly };
}

/** Reads the files (a missing one counts as empty, as for ssh). */
export function loadKnownHostsOf(files: KnownHostsFiles): Promise<KnownHosts> {
  return KnownHosts.load(files.writable, files.readOnly);
}

/** One key per distinct set of files: nodes that share it share one KnownHosts (and one pool). */
export function knownHostsFilesKey(files: KnownHostsFiles): string {
  return JSON.stringify([files.writable, ...files.readOnly]);
}
