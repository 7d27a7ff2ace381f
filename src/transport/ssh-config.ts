import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type SSHConfig from 'ssh-config';
import { ConnectionError } from '../errors/index.js';
import type { Node } from '../topology/model.js';

/**
 * OpenSSH client configuration (~/.ssh/config), read with the `ssh-config` parser, so the hosts
 * an operator already reaches with `ssh` are reached the same way: Host blocks give HostName,
 * User, Port, IdentityFile and ProxyJump. The topology wins where it says something itself
 * (a setting whose origin is not `built-in`); ~/.ssh/config fills the rest, then the built-in
 * defaults (root, 22, ~/.ssh/id_*).
 */
export interface SshConfigValues {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles?: string[];
  proxyJump?: string;
}

/** How to reach one node once the topology and ~/.ssh/config are combined. */
export interface ConnectionTarget {
  host: string;
  port: number;
  user: string;
  identityFiles?: string[];
  jumpHost?: string;
  /** Which of the values came from ~/.ssh/config (for logs and docs). */
  fromSshConfig: string[];
}

/** Parsed ~/.ssh/config, or undefined when there is none. A file that cannot be parsed is an error naming it. */
export function loadSshConfig(file = join(homedir(), '.ssh', 'config')): SSHConfig | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConnectionError(file, `cannot read ${file}: ${(err as Error).message}`, 'fix its permissions or move it aside');
  }
  try {
    // The parser is loaded only when there is a file to parse (it costs start-up time).
    return (createRequire(import.meta.url)('ssh-config') as typeof import('ssh-config')).default.parse(text);
  } catch (err) {
    throw new ConnectionError(file, `cannot parse ${file}: ${(err as Error).message}`, 'check it with `ssh -G HOST`');
  }
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** What ~/.ssh/config says for a node: its Host blocks matched against the node's address, then its name. */
export function sshConfigFor(config: SSHConfig | undefined, node: Pick<Node, 'name' | 'address'>): SshConfigValues {
  if (!config) return {};
  const byAddress = config.compute(node.address);
  const byName = node.name === node.address ? {} : config.compute(node.name);
  const pick = (key: string) => byAddress[key] ?? byName[key];
  const port = first(pick('Port'));
  const identity = pick('IdentityFile');
  const jump = first(pick('ProxyJump'));
  const hostName = first(pick('HostName'));
  const user = first(pick('User'));
  return {
    ...(hostName ? { hostName: hostName.replace(/%h/g, node.address) } : {}),
    ...(user ? { user } : {}),
    ...(port && /^\d+$/.test(port) ? { port: Number(port) } : {}),
    ...(identity ? { identityFiles: Array.isArray(identity) ? identity : [identity] } : {}),
    ...(jump && jump.toLowerCase() !== 'none' ? { proxyJump: jump } : {}),
  };
}

/** The SSH settings ~/.ssh/config may give where the topology wrote none. */
export const SSH_TARGET_KEYS = ['user', 'port', 'identityFile', 'jumpHost'] as const;

/** Whether the topology (or, for a node being decommissioned, the state's record of it) wrote `ssh.KEY`. */
export function writtenByTopology(node: Node, key: (typeof SSH_TARGET_KEYS)[number]): boolean {
  const origin = node.origins[`ssh.${key}`];
  return origin !== undefined && origin !== 'built-in';
}

/** The topology's value where it wrote one, else ~/.ssh/config's, else the built-in default. */
export function connectionTarget(node: Node, config: SshConfigValues): ConnectionTarget {
  const ssh = node.settings.ssh;
  const written = (key: (typeof SSH_TARGET_KEYS)[number]) => writtenByTopology(node, key);
  const fromSshConfig: string[] = [];
  const choose = <T>(key: (typeof SSH_TARGET_KEYS)[number], topology: T, fromConfig: T | undefined): T => {
    if (written(key) || fromConfig === undefined) return topology;
    fromSshConfig.push(key);
    return fromConfig;
  };
  const user = choose('user', ssh.user, config.user);
  const port = choose('port', ssh.port, config.port);
  const identityFiles = choose('identityFile', ssh.identityFile ? [ssh.identityFile] : undefined, config.identityFiles);
  const jumpHost = choose('jumpHost', ssh.jumpHost, config.proxyJump);
  if (jumpHost?.includes(',')) throw new ConnectionError(node.name, `ProxyJump ${jumpHost} has more than one hop`, 'gridops goes through one jump host: give the node ssh.jumpHost in the topology, or one hop in ~/.ssh/config');
  if (config.hostName) fromSshConfig.push('hostName');
  return { host: config.hostName ?? node.address, port, user, ...(identityFiles ? { identityFiles } : {}), ...(jumpHost ? { jumpHost } : {}), fromSshConfig };
}
