import { GRIDOPS_VERSION } from './version.js';

/** MAJOR.MINOR.PATCH, an optional -PRERELEASE and +BUILD, as semver.org writes them (no leading zeros). */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/**
 * Which of two versions is newer, by semver precedence: -1 when `a` is older than `b`, 1 when
 * newer, 0 when they are the same version. Undefined when no order can be told: either is not a
 * semver (a hand-edited state, a dev build), or they differ only in build metadata (two builds of
 * one version, which semver does not order). A caller that acts on "newer" must not guess there.
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 | undefined {
  if (a === b) return 0;
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return undefined;
  for (const i of [1, 2, 3]) {
    const order = Math.sign(Number(x[i]) - Number(y[i])) as -1 | 0 | 1;
    if (order !== 0) return order;
  }
  // A prerelease comes before its release (1.4.2-rc.1 < 1.4.2).
  const order = comparePrerelease(x[4], y[4]);
  return order === 0 ? undefined : order;
}

/**
 * Whether `version` (a state record's gridopsVersion) is a gridops newer than this one: the one rule of which hosts a newer gridops
 * touched, shared by the refusal to plan over them (phases/newer-gridops-state.ts) and status
 * (syncState's `newer-gridops`), so that status never advises, for a host it names, an apply the
 * refusal stops. Whatever the record's outcome: a failed run stamps its gridops too, a first one
 * included (phases/host-record.ts), since it may have done some of its changes; a skipped run keeps
 * the gridops before it.
 */
export function newerThanThisGridops(version: string): boolean {
  return compareVersions(version, GRIDOPS_VERSION) === 1;
}

/** Two prereleases' precedence: numeric identifiers as numbers and below alphanumeric ones, which compare as ASCII; a shorter prefix first. */
function comparePrerelease(a: string | undefined, b: string | undefined): -1 | 0 | 1 {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const order = compareIdentifier(x[i]!, y[i]!);
    if (order !== 0) return order;
  }
  return Math.sign(x.length - y.length) as -1 | 0 | 1;
}

function compareIdentifier(a: string, b: string): -1 | 0 | 1 {
  const numeric = (s: string) => /^\d+$/.test(s);
  if (numeric(a) && numeric(b)) return Math.sign(Number(a) - Number(b)) as -1 | 0 | 1;
  if (numeric(a) !== numeric(b)) return numeric(a) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
