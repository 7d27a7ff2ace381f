import { accessSync, constants } from 'node:fs';
import { InputFileError } from '../errors/index.js';
import { namedFew } from '../named-few.js';
import { expandHome, type SshHostSpec } from './ssh-transport.js';

/**
 * Every identity file the run's hosts name (ssh.identityFile in the topology, IdentityFile in
 * ~/.ssh/config), checked readable before the first connection: a path that is not there is the
 * operator's mistake, said once for every host that names it, where each host used to connect
 * first and then fail on its own. Unnamed default keys (~/.ssh/id_*) are tried only if present.
 */
export function checkIdentityFiles(specs: readonly SshHostSpec[], whereNamed: (host: string) => string | undefined = () => undefined): void {
  const namedBy = new Map<string, string[]>();
  for (const spec of specs) {
    for (const file of spec.identityFiles ?? []) {
      const path = expandHome(file);
      const hosts = namedBy.get(path);
      if (hosts) hosts.push(spec.name ?? spec.host);
      else namedBy.set(path, [spec.name ?? spec.host]);
    }
  }
  const problems: string[] = [];
  for (const [path, hosts] of namedBy) {
    try {
      accessSync(path, constants.R_OK);
    } catch (e) {
      const where = whereNamed(hosts[0]!);
      problems.push(`${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}), named ${where ? `by ${where} ` : ''}for ${namedFew(hosts)}`);
    }
  }
  if (problems.length === 0) return;
  throw new InputFileError(
    `cannot read ${problems.length === 1 ? 'the identity file' : `${problems.length} identity files`} ${problems.join('; ')}; no host was contacted`,
    'check ssh.identityFile in the topology (or IdentityFile in ~/.ssh/config) and that the file is there and readable',
  );
}
