import { namedFew } from '../named-few.js';
import { expandHome } from './expand-home.js';
import { identityFileStats, type IdentityFileStats } from './identity-file-stats.js';
import type { SshHostSpec } from './ssh-host-spec.js';

/**
 * Where a spec's identity files from an ssh_config file were written: FILE:LINE by path as the spec
 * holds it; undefined where the topology named the spec's identity files (those are not skipped).
 */
export type ConfigIdentitySources = Readonly<Record<string, string>> | undefined;

/** The sources of a spec's own identity files (`target`) and of its jump host's (`jump`). */
export type IdentitySourcesOf<K> = (key: K) => { target: ConfigIdentitySources; jump?: ConfigIdentitySources };

/**
 * `specs` without the identity files an OpenSSH configuration file (the user's or the system-wide
 * one) names and that are not there (ENOENT), for the host and its jump host alike, each line said
 * once by `warn` with the paths it named and the hosts. ssh does the same for both files: it says
 * "no such identity" (for the system file only at debug level) and logs in with the keys that are
 * left, so a system file naming a key some users have (`IdentityFile ~/.ssh/id_corp`) must not stop
 * the others' runs. Where none would be left they are all kept, for the pre-flight
 * (identity-files-check.ts) to refuse naming the line: a missing file still counts as set for ssh,
 * which then offers the agent's keys only, where gridops without them would offer the default
 * ~/.ssh/id_* keys, logging in as ssh would not. The topology's own ssh.identityFile is not
 * skipped: the operator wrote it for gridops, and a file that is not there is a mistake to fix.
 * `statOf` is the run's, shared with the pre-flight, so each file is statted once.
 */
export function withoutMissingConfigIdentities<K>(specs: ReadonlyMap<K, SshHostSpec>, sourcesOf: IdentitySourcesOf<K>, warn: (message: string) => void, statOf: IdentityFileStats = identityFileStats()): Map<K, SshHostSpec> {
  const isMissing = (path: string) => {
    const stat = statOf(expandHome(path));
    return 'code' in stat && stat.code === 'ENOENT';
  };
  /** Paths and hosts by the line that named them, in the order met: one warning each. */
  const skipped = new Map<string, { paths: string[]; hosts: string[] }>();
  /** `files` without the missing ones `sources` names, noting them for `who`; all of them where none would be left. */
  const workable = (files: readonly string[], sources: ConfigIdentitySources, who: string): string[] => {
    const gone = sources ? files.filter(isMissing) : [];
    const left = files.filter((f) => !gone.includes(f));
    if (gone.length === 0 || left.length === 0) return [...files];
    for (const path of gone) {
      const at = sources![path] ?? 'the OpenSSH client configuration';
      const entry = skipped.get(at) ?? { paths: [], hosts: [] };
      if (!entry.paths.includes(expandHome(path))) entry.paths.push(expandHome(path));
      if (!entry.hosts.includes(who)) entry.hosts.push(who);
      skipped.set(at, entry);
    }
    return left;
  };
  const kept = new Map<K, SshHostSpec>();
  for (const [key, spec] of specs) {
    const { target, jump } = sourcesOf(key);
    const name = spec.name ?? spec.host;
    const rest: SshHostSpec = { ...spec };
    if (spec.identityFiles) rest.identityFiles = workable(spec.identityFiles, target, name);
    // A jump host written as a string (`user@host:port`) names no key of its own.
    const jumpSpec = typeof spec.jumpHost === 'object' ? spec.jumpHost : undefined;
    // The bastion too: it is reached with the target's keys where it has none of its own, so a key skipped for the target would otherwise stop every host behind it.
    if (jumpSpec?.identityFile !== undefined) rest.jumpHost = { ...jumpSpec, identityFile: workable([jumpSpec.identityFile].flat(), jump, `${name}'s jump host ${jumpSpec.host}`) };
    kept.set(key, rest);
  }
  for (const [at, { paths, hosts }] of skipped) {
    warn(`${at}: IdentityFile ${namedFew(paths, 'files')} ${paths.length === 1 ? 'is' : 'are'} not there (ENOENT); skipped for ${namedFew(hosts)}, as ssh skips it; create it or remove that line to silence this`);
  }
  return kept;
}
