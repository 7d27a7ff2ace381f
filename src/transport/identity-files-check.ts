import { accessSync, constants } from 'node:fs';
import { ConnectionError, InputFileError } from '../errors/index.js';
import { namedFew } from '../named-few.js';
import { expandHome, type SshHostSpec } from './ssh-transport.js';

/**
 * Every identity file the run's hosts name (ssh.identityFile in the topology, IdentityFile in
 * ~/.ssh/config), checked readable before the first connection: a path that is not there is the
 * operator's mistake, said once for every host that names it, where each host used to connect
 * first and then fail on its own. Unnamed default keys (~/.ssh/id_*) are tried only if present.
 */
export function checkIdentityFiles(specs: readonly SshHostSpec[], whereNamed: (host: string) => string | undefined = () => undefined): void {
  const problems = unreadableIdentityFiles(specs).map(({ path, reason, hosts }) => {
    const where = whereNamed(hosts[0]!);
    return `${path} (${reason}), named ${where ? `by ${where} ` : ''}for ${namedFew(hosts)}`;
  });
  if (problems.length === 0) return;
  throw new InputFileError(
    `cannot read ${problems.length === 1 ? 'the identity file' : `${problems.length} identity files`} ${problems.join('; ')}; no host was contacted`,
    'check ssh.identityFile in the topology (or IdentityFile in ~/.ssh/config) and that the file is there and readable',
  );
}

/**
 * For hosts reached as the state recorded them (nodes being decommissioned): each one whose
 * identity file cannot be read, with the error that reports that host, and that host alone, as
 * not reached. The topology does not name that file, so no edit of it can fix it, and a host gone
 * for good often took its key with it: it must not stop the run of the nodes the topology has.
 */
export function recordedIdentityErrors(specs: readonly SshHostSpec[], whereNamed: (host: string) => string): Map<string, ConnectionError> {
  const errors = new Map<string, ConnectionError>();
  for (const { path, reason, hosts } of unreadableIdentityFiles(specs)) {
    for (const host of hosts) {
      if (errors.has(host)) continue;
      errors.set(host, new ConnectionError(host, `cannot read its identity file ${path} (${reason}), named by ${whereNamed(host)}; not contacted`, `put the key back at ${path} to reach it`));
    }
  }
  return errors;
}

/** Each identity file of `specs` that cannot be read, with why, and the hosts that name it. */
function unreadableIdentityFiles(specs: readonly SshHostSpec[]): Array<{ path: string; reason: string; hosts: string[] }> {
  const namedBy = new Map<string, string[]>();
  for (const spec of specs) {
    for (const file of spec.identityFiles ?? []) {
      const path = expandHome(file);
      const hosts = namedBy.get(path);
      if (hosts) hosts.push(spec.name ?? spec.host);
      else namedBy.set(path, [spec.name ?? spec.host]);
    }
  }
  const unreadable: Array<{ path: string; reason: string; hosts: string[] }> = [];
  for (const [path, hosts] of namedBy) {
    try {
      accessSync(path, constants.R_OK);
    } catch (e) {
      unreadable.push({ path, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message, hosts });
    }
  }
  return unreadable;
}
