import type { FieldChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
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

/**
 * Fixes the attributes `changed` names on a path whose content stays: chown, then chmod (a chown
 * clears the setuid and setgid bits a chmod gave), each only where a field changed.
 */
export async function fixAttributes(recorder: StepRecorder, path: string, want: FileAttributes, changed: ReadonlySet<string>): Promise<void> {
  if (changed.has('owner') || changed.has('group')) await chown(recorder, path, want.owner, want.group);
  if (changed.has('mode') && want.mode) await recorder.run(`chmod ${want.mode} ${quote(path)}`, `chmod ${path}`);
}

/** `chown -- owner:group path`, both values quoted; nothing when neither is set. */
export async function chown(recorder: StepRecorder, path: string, owner?: string, group?: string): Promise<void> {
  const spec = ownerSpec(owner, group);
  if (!spec) return;
  // `--`: an owner such as `--help` is a name (and an unknown one fails), not an option that succeeds.
  await recorder.run(`chown -- ${quote(spec)} ${quote(path)}`, `chown ${path}`);
}
