import type { StepRecorder } from './step-recorder.js';
import type { LineChange } from '../plan/change.js';
import { contentDiff, fileProbe, normaliseMode, parseFileState } from './file-state.js';
import type { PlanContext, Resource } from './resource.js';
import { PlanningError } from '../errors/index.js';
import { Unshown } from '../plan/unshown.js';
import { planDigest, PROCESS_PLAN_DIGEST_KEY } from '../secrets/plan-digest.js';

/**
 * Ensures one line is present in a file (Ansible's lineinfile): the last line matching
 * `match` is replaced, or the line is appended. The file is created when missing (mode 0644, the
 * playbook's `line` takes no mode); an edited one keeps its owner, group and mode. A change notifies
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

  /**
   * `digestKey`: the run's plan-digest key (without one, this process's own). The file may hold
   * secrets beside the line, so the plan records its new content only as a keyed digest: a plain
   * sha256 would let anyone holding the plan check guesses of them (secrets/plan-digest.ts).
   */
  constructor(private readonly spec: { path: string; line: string; match?: string; mode?: string | number; notify?: string[]; digestKey?: Buffer }) {
    if (/[\n\r]/.test(spec.line)) throw new RangeError('a line cannot contain a newline');
    this.match = spec.match ? new RegExp(spec.match) : undefined;
    this.id = `line ${spec.path} ${JSON.stringify(spec.line)}`;
    this.writes = [spec.path];
  }

  probe(): string {
    // The diff and the write look at the content and the mode, never the owner.
    return fileProbe(this.spec.path, { owners: false });
  }

  diff(stdout: string, ctx: PlanContext): LineChange | null {
    const planned = ctx.lines?.get(this.spec.path);
    const current = planned ? { exists: true, content: Buffer.from(planned.text), mode: planned.mode } : parseFileState(stdout);
    if (current.exists && current.content === undefined) throw new PlanningError(`${ctx.node.name}: ${this.spec.path} is not a small regular file`, 'manage this file with a file resource instead');
    const before = current.content?.toString('utf8') ?? '';
    const after = ensureLine(before, this.spec.line, this.match);
    if (current.exists && after === before) return null;
    const content = Buffer.from(after);
    // Only the lines that change, no context: the rest of the file (an .env's secrets) stays out of
    // the plan. Compared as if the old file ended its last line, else that line would be shown.
    const shownBefore = current.content && !before.endsWith('\n') && before !== '' ? Buffer.from(`${before}\n`) : current.content;
    const mode = current.mode ?? normaliseMode(this.spec.mode ?? '0644');
    ctx.lines?.set(this.spec.path, { text: after, mode });
    return {
      kind: 'line',
      id: this.id,
      action: current.exists ? 'update' : 'create',
      summary: `ensure line in ${this.spec.path}`,
      path: this.spec.path,
      contentSha256: planDigest(content, this.spec.digestKey ?? PROCESS_PLAN_DIGEST_KEY),
      content: new Unshown(after),
      mode,
      fields: [{ name: 'line', before: null, after: this.spec.line }],
      diff: contentDiff(this.spec.path, shownBefore, content, false, 0),
      notify: this.spec.notify,
    };
  }

  /** Writes what the change says; nothing is kept on the resource between diff and apply. */
  async apply(change: LineChange, recorder: StepRecorder): Promise<void> {
    if (!change.content) throw new Error(`${change.id}: the change has no content (a plan read back from JSON); apply plans afresh`);
    // An edit keeps the file's owner and group, as lineinfile does; a new file gets gridops' user's.
    await recorder.write(change.path, Buffer.from(change.content.value, 'utf8'), change.mode, change.action === 'update' ? { keepOwnerOf: 'target' } : {});
  }
}

/** Pure: the text with `line` present, replacing the last line matching `match` if any. */
export function ensureLine(text: string, line: string, match?: RegExp): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  let replaced = -1;
  if (match) for (let i = lines.length - 1; i >= 0 && replaced < 0; i--) if (match.test(lines[i]!)) replaced = i;
  if (replaced >= 0) lines[replaced] = line;
  else if (!lines.includes(line)) lines.push(line);
  return `${lines.join('\n')}\n`;
}
