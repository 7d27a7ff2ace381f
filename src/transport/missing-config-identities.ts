import { statSync } from 'node:fs';
import { namedFew } from '../named-few.js';
import { expandHome } from './expand-home.js';
import type { SshHostSpec } from './ssh-host-spec.js';

/**
 * Where a spec's identity files from an ssh_config file were written: FILE:LINE by path as the spec
 * holds it; undefined where the topology named the spec's identity files (those are not skipped).
 */
export type ConfigIdentitySources = Readonly<Record<string, string>> | undefined;

/**
 * `specs` without the identity files an OpenSSH configuration file (the user's or the system-wide
 * one) names and that are not there (ENOENT), each said once by `warn` with the line that wrote it
 * and the hosts that name it. ssh does the same for both files: it says "no such identity" (for
 * the system file only at debug level) and logs in with the keys that are left, so a system file
 * naming a key some users have (`IdentityFile ~/.ssh/id_corp`) must not stop the others' runs.
 * A host left with none is reached as one that names none (the default keys, the agent). The
 * topology's own ssh.identityFile is not skipped: the operator wrote it for gridops, and a file
 * that is not there is a mistake to fix (identity-files-check.ts refuses it).
 */
export function withoutMissingConfigIdentities<K>(specs: ReadonlyMap<K, SshHostSpec>, sourcesOf: (key: K) => ConfigIdentitySources, warn: (message: string) => void): Map<K, SshHostSpec> {
  const missing = new Map<string, boolean>();
  const isMissing = (path: string) => {
    if (!missing.has(path)) missing.set(path, statCode(expandHome(path)) === 'ENOENT');
    return missing.get(path)!;
  };
  /** Hosts by skipped file and the line that wrote it, in the order met: one warning each. */
  const skipped = new Map<string, { path: string; at: string | undefined; hosts: string[] }>();
  const kept = new Map<K, SshHostSpec>();
  for (const [key, spec] of specs) {
    const sources = sourcesOf(key);
    const files = spec.identityFiles ?? [];
    const gone = sources ? files.filter(isMissing) : [];
    if (gone.length === 0) {
      kept.set(key, spec);
      continue;
    }
    for (const path of gone) {
      const at = sources![path];
      const id = `${path}\n${at ?? ''}`;
      const entry = skipped.get(id) ?? { path: expandHome(path), at, hosts: [] };
      entry.hosts.push(spec.name ?? spec.host);
      skipped.set(id, entry);
    }
    const left = files.filter((f) => !gone.includes(f));
    const rest: SshHostSpec = { ...spec, identityFiles: left };
    if (left.length === 0) delete rest.identityFiles;
    kept.set(key, rest);
  }
  for (const { path, at, hosts } of skipped.values()) {
    warn(`${at ?? 'the OpenSSH client configuration'}: IdentityFile ${path} is not there (ENOENT); skipped for ${namedFew(hosts)}, as ssh skips it; create it or remove that line to silence this`);
  }
  return kept;
}

/** The error code of stat(2) on `path`, or undefined where it succeeds. */
function statCode(path: string): string | undefined {
  try {
    statSync(path);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'unknown';
  }
}
