import { GRIDOPS_VERSION } from '../version.js';

/**
 * What to run for a node a newer gridops (`version`) applied: that gridops, never this one's apply,
 * which would put its older agent on a grid the newer one deployed. The one wording of the status
 * table's note and `--strict`'s hint. `version` is printed as given: a caller escapes one read from
 * the state file that was not judged a semver.
 */
export function newerGridopsAdvice(version: string): string {
  return `applied by gridops ${version}, newer than this ${GRIDOPS_VERSION}: run status and apply with gridops ${version} or later`;
}
