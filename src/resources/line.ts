import type { StepRecorder } from './step-recorder.js';
import type { LineChange } from '../plan/change.js';
import { attributeChanges, comparesOwners, fixAttributes, type FileAttributes } from './file-attributes.js';
import { contentDiff, fileProbe, normaliseMode, parseFileState, type FileState } from './file-state.js';
import type { PlanContext, Resource } from './resource.js';
import { PlanningError } from '../errors/index.js';
import { Unshown } from '../plan/unshown.js';
import { utf8Text } from './utf8-text.js';
import { planDigest, PROCESS_PLAN_DIGEST_KEY } from '../secrets/plan-digest.js';
import { resourceId } from './resource-id.js';

/** A new file's mode when the line sets none, as lineinfile's `create` makes it under the usual umask. */
const NEW_FILE_MODE = '0644';

/**
 * Ensures one line is present in a file (Ansible's lineinfile): the last line matching
 * `match` is replaced, or the line is appended. The file is created when missing, with `mode`,
 * `owner` and `group` where set (else mode 0644, owned by gridops' user). An edited file keeps its
 * owner, group and mode, except those set here, which are compared and fixed even when the line is
 * already there (a change of those fields alone); unset ones are never compared. A change notifies
 * the `notify` handlers, as a file's does.
 */
export class LineResource implements Resource<LineChange> {
  readonly kind = 'line' as const;
  readonly ignoresFacts = true as const;
  // fileProbe only: safe in the read's shell.
  readonly probeSharesShell = true;
  readonly id: string;
  readonly writes: readonly string[];
  private readonly match?: RegExp;
  private readonly want: FileAttributes;

  /**
   * `digestKey`: the run's plan-digest key (without one, this process's own). The file may hold
   * secrets beside the line, so the plan records its new content only as a keyed digest: a plain
   * sha256 would let anyone holding the plan check guesses of them (secrets/plan-digest.ts).
   */
  constructor(private readonly spec: { path: string; line: string; match?: string; mode?: string | number; owner?: string; group?: string; notify?: string[]; digestKey?: Buffer }) {
    if (/[\n\r]/.test(spec.line)) throw new RangeError('a line cannot contain a newline');
    this.match = spec.match ? new RegExp(spec.match) : undefined;
    this.want = { mode: spec.mode === undefined ? undefined : normaliseMode(spec.mode), owner: spec.owner, group: spec.group };
    this.id = resourceId.line(spec.path, spec.line);
    this.writes = [spec.path];
  }

  probe(): string {
    // The diff and the write look at the content and the mode; the owner only where one is set.
    return fileProbe(this.spec.path, { owners: comparesOwners(this.want) });
  }

  diff(stdout: string, ctx: PlanContext): LineChange | null {
    const current = this.currentState(stdout, ctx);
    if (current.exists && current.content === undefined) throw new PlanningError(`${ctx.node.name}: ${this.spec.path} is not a small regular file`, 'manage this file with a file resource instead');
    const before = current.content ? utf8Text(current.content) : '';
    // Edited as a string, a byte that is not UTF-8 would be written back as U+FFFD's three bytes,
    // and the next plan would find nothing to change: the file is refused, not corrupted.
    if (before === undefined) throw new PlanningError(`${ctx.node.name}: ${this.spec.path} is not UTF-8 text, and a line edits a file as UTF-8 (its other bytes would be rewritten)`, 'convert the file to UTF-8 (with iconv, say), or manage it with a `file` entry, which writes any bytes');
    const after = ensureLine(before, this.spec.line, this.match);
    const lineChanges = !current.exists || after !== before;
    const attributes = attributeChanges(current, this.want);
    if (!lineChanges && attributes.length === 0) return null;
    const content = Buffer.from(after);
    // Only the lines that change, no context: the rest of the file (an .env's secrets) stays out of
    // the plan. Compared as if the old file ended its last line, else that line would be shown.
    const shownBefore = current.content && !before.endsWith('\n') && before !== '' ? Buffer.from(`${before}\n`) : current.content;
    const mode = this.want.mode ?? current.mode ?? NEW_FILE_MODE;
    ctx.lines?.set(this.spec.path, { text: after, mode, ...ownersLeft(ctx.lines.get(this.spec.path), this.want) });
    return {
      kind: 'line',
      id: this.id,
      action: current.exists ? 'update' : 'create',
      summary: `ensure line in ${this.spec.path}`,
      path: this.spec.path,
      contentSha256: planDigest(content, this.spec.digestKey ?? PROCESS_PLAN_DIGEST_KEY),
      content: new Unshown(after),
      mode,
      fields: [...(lineChanges ? [{ name: 'line', before: null, after: this.spec.line }] : []), ...attributes],
      diff: lineChanges ? contentDiff(this.spec.path, shownBefore, content, false, 0) : undefined,
      notify: this.spec.notify,
    };
  }

  /** Writes what the change says; nothing is kept on the resource between diff and apply. */
  async apply(change: LineChange, recorder: StepRecorder): Promise<void> {
    const changed = new Set(change.fields.map((f) => f.name));
    // The line is there: only the attributes the change names are fixed, the content left alone.
    // The mode is the change's (the file's own where none is set): a chown clears setuid and setgid bits, and sets it again.
    if (!changed.has('line') && change.action === 'update') return fixAttributes(recorder, change.path, { ...this.want, mode: change.mode }, changed);
    if (!change.content) throw new Error(`${change.id}: the change has no content (a plan read back from JSON); apply plans afresh`);
    // An edit keeps the file's owner and group, as lineinfile does, but for those set here (they win
    // over the kept ones); a new file gets them, else gridops' user's.
    await recorder.write(change.path, Buffer.from(change.content.value, 'utf8'), change.mode, { owner: this.want.owner, group: this.want.group, ...(change.action === 'update' ? { keepOwnerOf: 'target' as const } : {}) });
  }

  /**
   * The file as this line finds it: as an earlier line of this plan leaves it (ctx.lines; the
   * owner and group it set, else as read), else as read.
   */
  private currentState(stdout: string, ctx: PlanContext): FileState {
    const read = parseFileState(stdout);
    const planned = ctx.lines?.get(this.spec.path);
    if (!planned) return read;
    return { exists: true, content: Buffer.from(planned.text), mode: planned.mode, owner: planned.owner ?? read.owner, group: planned.group ?? read.group };
  }
}

/** The owner and group a file is left with by the lines planned so far: the last one set of each. */
function ownersLeft(earlier: { owner?: string; group?: string } | undefined, want: FileAttributes): { owner?: string; group?: string } {
  const owner = want.owner ?? earlier?.owner;
  const group = want.group ?? earlier?.group;
  return { ...(owner ? { owner } : {}), ...(group ? { group } : {}) };
}

/**
 * Pure: the text with `line` present, replacing the last line matching `match` if any; the text
 * itself when the line is there (the last matching one, with `match`). A line
 * ending in CRLF (a file written on Windows) is compared and matched without its `\r`, as `.`
 * and `$` would otherwise not reach its end, and keeps it: a replaced line keeps the ending of the
 * one it replaces, an appended one takes the file's last line's.
 */
export function ensureLine(text: string, line: string, match?: RegExp): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  let replaced = -1;
  if (match) for (let i = lines.length - 1; i >= 0 && replaced < 0; i--) if (match.test(withoutCr(lines[i]!))) replaced = i;
  // The line already there is no change, even where the file's last line lacks its newline:
  // ending it would plan a change at every run on such a file and notify its handlers (lineinfile
  // leaves it too). A file that does change gets its final newline.
  if (replaced >= 0 ? withoutCr(lines[replaced]!) === line : lines.some((l) => withoutCr(l) === line)) return text;
  // The file's own ending, from its last line that has one: a last line without a newline has none,
  // and ends as the others do once the file changes.
  const unended = text !== '' && !text.endsWith('\n');
  const cr = crOf(lines.at(unended ? -2 : -1) ?? '');
  if (unended && cr) lines[lines.length - 1] += cr;
  if (replaced >= 0) lines[replaced] = `${line}${crOf(lines[replaced]!)}`;
  else lines.push(`${line}${cr}`);
  return `${lines.join('\n')}\n`;
}

/** A line (split at `\n`) without the `\r` a CRLF ending leaves on it. */
function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** The `\r` of a line's CRLF ending, or nothing. */
function crOf(line: string): string {
  return line.endsWith('\r') ? '\r' : '';
}
