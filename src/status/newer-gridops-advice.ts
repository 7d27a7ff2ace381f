import { GRIDOPS_VERSION } from '../version.js';

/**
 * What to run for a node a newer gridops (`version`) ran on last (applied, or failed there, a first
 * run too): that gridops, never this one's apply, which would put its older agent on a grid the
 * newer one deployed. The one wording of the status table's note and `--strict`'s hint. `version` is
 * printed as given: a caller escapes one read from the state file that was not judged a semver.
 */
export function newerGridopsAdvice(version: string): string {
  return `gridops ${version} ran there last, newer than this ${GRIDOPS_VERSION}: run status and apply with gridops ${version} or later`;
}
