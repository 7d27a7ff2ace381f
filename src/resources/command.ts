import type { SkipGuard, StepRecorder } from './step-recorder.js';
import type { CommandChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import { existsTest } from './file-queries.js';
import type { Resource } from './resource.js';
import { resourceId } from './resource-id.js';

/**
 * A command that runs when its guards say so: never if `creates` exists, never if `unless`
 * exits 0, and otherwise every run (like Ansible's command module, it is then never idempotent).
 * `unless` runs during planning, so it must only read. Both guards are checked again when the
 * command is about to run: an earlier change of the same batch may have made the `creates` path or
 * done what `unless` checks (Ansible checks them when the task runs). A command skipped then has
 * changed nothing: the run says it was skipped, and its `notify` handlers are not run for it.
 */
export class CommandResource implements Resource<CommandChange> {
  readonly kind = 'command' as const;
  readonly ignoresFacts = true as const;
  // Builtin tests, and the user's `unless` in a subshell of its own: safe in the read's shell.
  readonly probeSharesShell = true;
  readonly id: string;
  readonly writes: readonly string[];

  constructor(private readonly spec: { name: string; command: string; creates?: string; unless?: string; notify?: string[] }) {
    this.id = resourceId.command(spec.name);
    this.writes = spec.creates ? [spec.creates] : [];
  }

  probe(): string {
    const lines: string[] = [];
    // existsTest: a read without a shell can serve it (file-queries.ts).
    if (this.spec.creates) lines.push(existsTest(this.spec.creates, 'creates-exists'));
    // The `)` on a line of its own: an `unless` that ends in a comment would otherwise swallow it.
    if (this.spec.unless) lines.push(`if ( ${this.spec.unless}\n) >/dev/null 2>&1; then echo unless-ok; fi`);
    return lines.join('\n') || 'true';
  }

  diff(stdout: string): CommandChange | null {
    if (stdout.includes('creates-exists') || stdout.includes('unless-ok')) return null;
    const reason = this.spec.creates ? `${this.spec.creates} does not exist` : this.spec.unless ? 'its `unless` check failed' : 'it has no guard';
    return { kind: 'command', id: this.id, action: 'run', command: this.spec.command, summary: `run ${this.spec.name} (${reason})`, fields: [], notify: this.spec.notify };
  }

  /**
   * The guards go to the batch, not into the command's own script: a guard that holds skips the
   * command, and the run then says so and notifies none of its handlers (as Ansible's skipped task).
   */
  async apply(_change: CommandChange, recorder: StepRecorder): Promise<void> {
    await recorder.run(this.spec.command, this.spec.name, { skipWhen: this.guards() });
  }

  /** Each guard on lines of its own, so one ending in a comment cannot swallow what follows. */
  private guards(): SkipGuard[] {
    const { creates, unless } = this.spec;
    return [
      ...(creates ? [{ test: `[ -e ${quote(creates)} ]`, reason: `${creates} exists` }] : []),
      ...(unless ? [{ test: `( ${unless}\n) >/dev/null 2>&1`, reason: 'its `unless` check passed' }] : []),
    ];
  }
}
