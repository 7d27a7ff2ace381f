import { accessSync, constants, readFileSync } from 'node:fs';
import { ConnectionError, InputFileError } from '../errors/index.js';
import { namedFew } from '../named-few.js';
import { isEncryptedKey } from './encrypted-key.js';
import { expandHome } from './expand-home.js';
import { identityFileStats, type IdentityFileStats } from './identity-file-stats.js';
import type { SshHostSpec } from './ssh-host-spec.js';

/**
 * Every identity file the run's hosts name (ssh.identityFile in the topology, IdentityFile in an
 * ssh_config file: `whereNamed` says which line), checked readable before the first connection: a
 * path that is not there (or is a directory) is the operator's mistake, said once for every host that names it, where each host
 * used to connect first and then fail on its own. So is an encrypted one with no ssh-agent
 * (`agentSocket`, SSH_AUTH_SOCK) for a host that names no other: gridops cannot ask for its
 * passphrase, so that host could not log in. Unnamed default keys (~/.ssh/id_*) are tried only if present.
 * `statOf` is the run's, shared with the skip of missing ssh_config ones, so each file is statted once.
 */
export function checkIdentityFiles(specs: readonly SshHostSpec[], whereNamed: WhereNamed = () => undefined, agentSocket: string | undefined = process.env.SSH_AUTH_SOCK, statOf: IdentityFileStats = identityFileStats()): void {
  const namedBy = (hosts: string[], path: string) => {
    const where = whereNamed(hosts[0]!, path);
    return `named ${where ? `by ${where} ` : ''}for ${namedFew(hosts)}`;
  };
  const named = (path: string, hosts: string[], shown = path) => `${shown}, ${namedBy(hosts, path)}`;
  const unreadable = unreadableIdentityFiles(specs, statOf);
  const problems = unreadable.map(({ path, reason, hosts }) => named(path, hosts, `${path} (${reason})`));
  if (problems.length) {
    // A missing IdentityFile of an ssh_config file reaches here only where the host has no other key (missing-config-identities.ts).
    const noFallback = unreadable.some(({ reason }) => reason === 'ENOENT') ? "; where an ssh_config IdentityFile names a host's only keys, ssh would go on with the agent's keys only, never the default ~/.ssh/id_* ones: name a key that is there" : '';
    throw new InputFileError(
      `cannot read ${problems.length === 1 ? 'the identity file' : `${problems.length} identity files`} ${problems.join('; ')}; no host was contacted`,
      `check ssh.identityFile in the topology, or the IdentityFile line named, and that the file is there and readable${noFallback}`,
    );
  }
  if (agentSocket) return;
  const encrypted = encryptedOnlyIdentityFiles(specs);
  if (encrypted.length === 0) return;
  const noAgent = 'no ssh-agent is running (SSH_AUTH_SOCK is not set)';
  const what =
    encrypted.length === 1
      ? `the identity file ${encrypted[0]!.path} is encrypted and ${noAgent}, ${namedBy(encrypted[0]!.hosts, encrypted[0]!.path)}`
      : `${encrypted.length} identity files are encrypted and ${noAgent}: ${encrypted.map(({ path, hosts }) => named(path, hosts)).join('; ')}`;
  throw new InputFileError(
    `${what}; gridops cannot ask for a passphrase; no host was contacted`,
    `start ssh-agent and load the key (\`eval "$(ssh-agent)"; ssh-add ${encrypted.map((e) => e.path).join(' ')}\`) so that SSH_AUTH_SOCK is set when gridops runs; or use an unencrypted key (ssh.identityFile)`,
  );
}

/** Where a host's identity file (its path, `~` expanded) was named, for the messages about it; undefined where not known. */
export type WhereNamed = (host: string, path: string) => string | undefined;

/**
 * The encrypted identity files of the hosts that name no other (with no agent, those hosts have no
 * key to log in with), each with those hosts. Read only when no agent runs; all are readable by now.
 */
function encryptedOnlyIdentityFiles(specs: readonly SshHostSpec[]): Array<{ path: string; hosts: string[] }> {
  const encrypted = new Map<string, boolean>();
  const isEncrypted = (path: string) => {
    if (!encrypted.has(path)) encrypted.set(path, isEncryptedKey(readFileSync(path, 'latin1')));
    return encrypted.get(path)!;
  };
  const stuck = new Map<string, string[]>();
  for (const spec of specs) {
    const paths = [...new Set((spec.identityFiles ?? []).map(expandHome))];
    if (paths.length === 0 || !paths.every(isEncrypted)) continue;
    for (const path of paths) stuck.set(path, [...(stuck.get(path) ?? []), spec.name ?? spec.host]);
  }
  return [...stuck].map(([path, hosts]) => ({ path, hosts }));
}

/**
 * For hosts reached as the state recorded them (nodes being decommissioned): each one whose
 * identity file cannot be read, with the error that reports that host, and that host alone, as
 * not reached. The topology does not name that file, so no edit of it can fix it, and a host gone
 * for good often took its key with it: it must not stop the run of the nodes the topology has.
 */
export function recordedIdentityErrors(specs: readonly SshHostSpec[], whereNamed: (host: string, path: string) => string, statOf: IdentityFileStats = identityFileStats()): Map<string, ConnectionError> {
  const errors = new Map<string, ConnectionError>();
  for (const { path, reason, hosts } of unreadableIdentityFiles(specs, statOf)) {
    for (const host of hosts) {
      if (errors.has(host)) continue;
      errors.set(host, new ConnectionError(host, `cannot read its identity file ${path} (${reason}), named by ${whereNamed(host, path)}; not contacted`, `put the key back at ${path} to reach it`));
    }
  }
  return errors;
}

/**
 * Each identity file of `specs` that cannot be read, with why, and the hosts that name it: their
 * own and their jump host's (a bastion's key that cannot be read stops every host behind it).
 */
function unreadableIdentityFiles(specs: readonly SshHostSpec[], statOf: IdentityFileStats): Array<{ path: string; reason: string; hosts: string[] }> {
  const namedBy = new Map<string, string[]>();
  for (const spec of specs) {
    // A jump host written as a string (`user@host:port`) names no key of its own.
    const jumpFiles = typeof spec.jumpHost === 'object' ? [spec.jumpHost.identityFile ?? []].flat() : [];
    for (const file of new Set([...(spec.identityFiles ?? []), ...jumpFiles])) {
      const path = expandHome(file);
      const hosts = namedBy.get(path);
      if (!hosts) namedBy.set(path, [spec.name ?? spec.host]);
      else if (!hosts.includes(spec.name ?? spec.host)) hosts.push(spec.name ?? spec.host);
    }
  }
  const unreadable: Array<{ path: string; reason: string; hosts: string[] }> = [];
  for (const [path, hosts] of namedBy) {
    // A path stat(2) cannot reach, access(2) cannot either, for the same reason.
    const stat = statOf(path);
    if ('code' in stat) {
      unreadable.push({ path, reason: stat.code, hosts });
      continue;
    }
    try {
      accessSync(path, constants.R_OK);
      // A readable directory passes access(2); reading it as a key fails on every host alike.
      if (stat.directory) unreadable.push({ path, reason: 'EISDIR: a directory, not a key', hosts });
    } catch (e) {
      unreadable.push({ path, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message, hosts });
    }
  }
  return unreadable;
}
