import type { FileChange } from '../plan/change.js';
import { PROCESS_PLAN_DIGEST_KEY, planDigest } from '../secrets/plan-digest.js';
import { quote } from '../transport/quote.js';
import { comparesOwners, fixAttributes } from './file-attributes.js';
import { contentDiff, fileFieldChanges, fileProbe, normaliseMode, parseFileState, sha256, type DesiredFile } from './file-state.js';
import type { Resource } from './resource.js';
import { resourceId } from './resource-id.js';

/** A new file's mode when the entry sets none: 0644, as under the usual umask; a sensitive one's 0600. */
const NEW_FILE_MODE = '0644';
const NEW_SENSITIVE_FILE_MODE = '0600';

/**
 * A file with exact content and, where set, mode, owner and group. One left unset is left as the
 * host has it, as Ansible's copy leaves it: new content keeps the old file's owner, group and
 * mode (a key at 0600 is not made world-readable by an update), and a file created gets mode 0644
 * (0600 when sensitive) and the user gridops runs as. `createOnly` (Ansible's `force: no`): written
 * when absent and never touched once it exists, whatever it holds; for what must be decided once,
 * at a node's birth, such as the agent's bootstrap electorate.
 */
export class FileResource implements Resource<FileChange> {
  readonly kind = 'file' as const;
  readonly ignoresFacts = true as const;
  // fileProbe only: safe in the read's shell.
  readonly probeSharesShell = true;
  readonly id: string;
  readonly writes: readonly string[];
  private readonly want: DesiredFile;
  /** Sensitive content only: the key its plan digest is made with (secrets/plan-digest.ts says why not a plain sha256). */
  private readonly digestKey?: Buffer;

  /** `digestKey`: for sensitive content, the run's plan-digest key (without one, this process's own). */
  /** `secret`: which secret gridops places here (the grid key), said on the change (check-rolling.ts reads it). */
  constructor(spec: { path: string; content: string | Buffer; mode?: string | number; owner?: string; group?: string; sensitive?: boolean; secret?: 'grid-key'; digestKey?: Buffer; notify?: string[]; createOnly?: boolean }) {
    this.want = { path: spec.path, content: Buffer.from(spec.content), mode: spec.mode === undefined ? undefined : normaliseMode(spec.mode), owner: spec.owner, group: spec.group, sensitive: spec.sensitive };
    if (spec.sensitive) this.digestKey = spec.digestKey ?? PROCESS_PLAN_DIGEST_KEY;
    this.notify = spec.notify;
    this.createOnly = spec.createOnly ?? false;
    this.secret = spec.secret;
    this.id = resourceId.file(spec.path);
    this.writes = [spec.path];
  }
  private readonly notify?: string[];
  private readonly createOnly: boolean;
  private readonly secret?: 'grid-key';

  probe(): string {
    // Create-only: whether it exists is all that matters (its content is never read).
    if (this.createOnly) return `if [ -e ${quote(this.want.path)} ] || [ -L ${quote(this.want.path)} ]; then echo present; else echo absent; fi`;
    // The owner and group only where the diff compares them.
    return fileProbe(this.want.path, { owners: comparesOwners(this.want) });
  }

  diff(stdout: string): FileChange | null {
    if (this.createOnly && stdout.trim() !== 'absent') return null;
    const current = this.createOnly ? { exists: false } : parseFileState(stdout);
    const fields = fileFieldChanges(current, this.want);
    if (fields.length === 0) return null;
    const regular = current.exists && current.type === 'file';
    // New content keeps the owner or group left unset from the regular file it replaces (chown
    // --reference would follow a symlink, and fail on a dangling one).
    const keepsOwner = regular && !(this.want.owner && this.want.group);
    return {
      kind: 'file',
      id: this.id,
      action: current.exists ? 'update' : 'create',
      summary: `${current.exists ? 'update' : 'create'} ${this.want.path}`,
      path: this.want.path,
      // A secret's plain hash would let guesses be checked against the plan: a keyed digest instead.
      contentSha256: this.digestKey ? planDigest(this.want.content, this.digestKey) : sha256(this.want.content),
      sensitive: this.want.sensitive ?? false,
      ...(this.secret ? { secret: this.secret } : {}),
      // The mode the write gives: the one set, else the regular file's own, else a new file's. A
      // symlink's own mode (lstat: 0777) is no file's: the regular file that replaces it gets a new one's.
      mode: this.want.mode ?? (regular ? current.mode : undefined) ?? (this.want.sensitive ? NEW_SENSITIVE_FILE_MODE : NEW_FILE_MODE),
      ...(keepsOwner ? { keepsOwner } : {}),
      fields,
      diff: fields.some((f) => f.name === 'content') ? contentDiff(this.want.path, current.content, this.want.content, this.want.sensitive) : undefined,
      notify: this.notify,
    };
  }

  async apply(change: FileChange, recorder: import('./step-recorder.js').StepRecorder): Promise<void> {
    const names = new Set(change.fields.map((f) => f.name));
    if (names.has('content') || change.action === 'create') {
      // Owner and group go onto the temp file, so an unknown owner fails before the file lands. New
      // content for an existing file keeps its owner or group where one is unset, rather than
      // becoming the user's gridops runs as.
      const keepOwner = change.keepsOwner ? { keepOwnerOf: 'target' as const } : {};
      await recorder.write(this.want.path, this.want.content, change.mode, { owner: this.want.owner, group: this.want.group, ...keepOwner });
      return;
    }
    // A chown sets the mode again (it clears a setuid bit): the one set, else the file's own.
    await fixAttributes(recorder, this.want.path, { ...this.want, mode: change.mode }, names);
  }
}
