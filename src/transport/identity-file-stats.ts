import { statSync } from 'node:fs';

/** What stat(2) said of an identity file: the error it failed with, or whether the path is a directory. */
export type IdentityFileStat = { code: string } | { directory: boolean };

/** stat(2) of an identity file's path (`~` expanded), asked once per path for a run. */
export type IdentityFileStats = (path: string) => IdentityFileStat;

/**
 * One run's stat(2) of its identity files, each path statted once: the skip of a missing
 * ssh_config IdentityFile (missing-config-identities.ts) and the pre-flight that refuses an
 * unreadable one (identity-files-check.ts) ask of the same files, one after the other, before any
 * connection. Made per run, never kept: a key put back between two runs is seen by the next.
 */
export function identityFileStats(stat: (path: string) => { isDirectory(): boolean } = statSync): IdentityFileStats {
  const known = new Map<string, IdentityFileStat>();
  return (path) => {
    let found = known.get(path);
    if (!found) {
      try {
        found = { directory: stat(path).isDirectory() };
      } catch (e) {
        found = { code: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
      }
      known.set(path, found);
    }
    return found;
  };
}
