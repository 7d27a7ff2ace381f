import type { FieldChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import { exactChmodMode } from './octal-mode.js';
import { ownerSpec, type StepRecorder } from './step-recorder.js';

/**
 * A path's mode (four octal digits, normaliseMode's), owner and group: as wanted by a `file`,
 * `directory` or `line`, or as read (FileState). A wanted one left unset is left as it is on the
 * host and never compared.
 */
export interface FileAttributes {
  mode?: string;
  owner?: string;
  group?: string;
}

/** Whether the probe must read the owner and group: only where one is wanted (else no name files are read). */
export function comparesOwners(want: FileAttributes): boolean {
  return Boolean(want.owner || want.group);
}

/**
 * The `mode`, `owner` and `group` fields a change shows, for each wanted attribute that differs
 * from what the host has (`before` null for a path that is not there).
 */
export function attributeChanges(current: FileAttributes, want: FileAttributes): FieldChange[] {
  const fields: FieldChange[] = [];
  for (const name of ['mode', 'owner', 'group'] as const) {
    const after = want[name];
    if (after && current[name] !== after) fields.push({ name, before: current[name] ?? null, after });
  }
  return fields;
}

/** The descriptor an attribute fix holds its path open on, apart from a write's (step-recorder.ts HELD_FD). */
const ATTRS_FD = 8;
/** The held path by a name no one else can swap: the kernel resolves it to the open file itself. */
const ATTRS_HELD = `/proc/self/fd/${ATTRS_FD}`;

/**
 * Fixes the attributes `changed` names on a path whose content stays: chown, then chmod (a chown
 * clears the setuid and setgid bits a chmod gave), each only where a field changed.
 */
export async function fixAttributes(recorder: StepRecorder, path: string, want: FileAttributes, changed: ReadonlySet<string>): Promise<void> {
  const owner = changed.has('owner') || changed.has('group') ? ownerSpec(want.owner, want.group) : undefined;
  // With a chown, the wanted mode is set again even where it was right: root's chown clears a
  // setuid or setgid bit, and the next plan would find the mode changed.
  const mode = changed.has('mode') || owner ? want.mode : undefined;
  if (!owner && !mode) return;
  await recorder.run(attributesOnHeldPath(path, { ...(owner ? { owner } : {}), ...(mode ? { mode } : {}) }), `${owner ? 'chown' : 'chmod'} ${path}`);
}

/**
 * The shell lines that give an existing regular file or directory `owner` (chown's
 * `owner:group`) and `mode`, through a descriptor held on it rather than by its name.
 *
 * Why: chown and chmod follow a symlink. In a directory another user may write (a service's home,
 * where a `line` may set `owner: app`), that user could swap the name for a symlink to
 * /etc/shadow after the plan read it, and root would hand /etc/shadow to them. So the path is
 * opened, and its lstat by name must be the very file the descriptor holds (device and inode): a
 * symlink there, before or after the open, fails the check, and chown and chmod then work on
 * /proc/self/fd/N, which the kernel resolves to the open file whatever the name has become since.
 * A regular file with other hard links is refused: the descriptor cannot tell which name was meant.
 * A FIFO swapped in between the test and the open would block that open until the step's timeout.
 * Without /proc there is no such name, and the step fails, as a write does.
 */
export function attributesOnHeldPath(path: string, set: { owner?: string; mode?: string }): string {
  // Without a final `/` or `.`: `[ -L dir/ ]` and `stat dir/` follow a symlink at `dir`.
  // The mode goes into chmod unquoted, and a line's may be what the host's stat printed. Five
  // digits: a directory's setgid bit goes where the mode clears it (octal-mode.ts).
  const mode = set.mode === undefined ? undefined : exactChmodMode(set.mode);
  const plain = lastComponentNamed(path);
  const p = quote(plain);
  const refuse = (why: string) => `{ echo ${quote(`${path}: ${why}; its owner and mode were left as they were`)} >&2; exit 1; }`;
  // `x/..` names whatever `x` leads to, a symlink's target included: not a path to fix by name.
  if (plain === '..' || plain.endsWith('/..')) return refuse('a path ending in `..` is not fixed; name the directory itself');
  return [
    `if [ -L ${p} ] || { [ ! -f ${p} ] && [ ! -d ${p} ]; }; then ${refuse('not a regular file or directory (a symlink is not followed)')}; fi`,
    `exec ${ATTRS_FD}< ${p} || exit 1`,
    `[ -e ${ATTRS_HELD} ] || ${refuse('/proc is not mounted, so the file cannot be named by its descriptor')}`,
    `[ "$(stat -L -c %d:%i ${ATTRS_HELD})" = "$(stat -c %d:%i -- ${p})" ] || ${refuse('changed while it was opened')}`,
    // A hard link is the very file under another name: where protected_hardlinks is off, a user who
    // may write the directory could link /etc/shadow at the path, and the check above would pass.
    `{ [ -d ${ATTRS_HELD} ] || [ "$(stat -L -c %h ${ATTRS_HELD})" = 1 ]; } || ${refuse('the file has other hard links (another name for it may be anywhere, /etc/shadow say); remove the other links or fix it by hand')}`,
    // `--`: an owner such as `--help` is a name (and an unknown one fails), not an option that succeeds.
    ...(set.owner ? [`chown -- ${quote(set.owner)} ${ATTRS_HELD}`] : []),
    ...(mode ? [`chmod ${mode} ${ATTRS_HELD}`] : []),
  ].join(' &&\n');
}

/**
 * `path` ending in its last component's own name: without the final `/`s and `/.`s that make a
 * shell test or stat look through a symlink there (`/home/app/cache/` is `/home/app/cache`).
 */
export function lastComponentNamed(path: string): string {
  let p = path;
  for (;;) {
    const trimmed = p.replace(/\/+$/, '').replace(/\/\.$/, '');
    if (trimmed === p) break;
    p = trimmed;
  }
  return p === '' ? '/' : p;
}
