import { Command, Flags, Interfaces } from '@oclif/core';
import { ExitCode, GridopsError, ValidationError } from './errors/index.js';
import { formatProblem } from './errors/problem.js';

/**
 * Every gridops command extends this: `--json` prints the typed result that `run()` returns,
 * and GridopsErrors become one clear line, a hint, and the exit code from the table.
 */
export abstract class GridopsCommand<T> extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    verbose: Flags.boolean({ char: 'v', description: 'more detail, with timings', default: false, helpGroup: 'GLOBAL' }),
    color: Flags.boolean({ description: 'colour on a terminal; --no-color (or NO_COLOR set) turns it off', default: true, allowNo: true, helpGroup: 'GLOBAL' }),
  };

  protected get verbose(): boolean {
    return this.isVerbose();
  }

  isVerbose(): boolean {
    return this.argv.includes('--verbose') || this.argv.includes('-v');
  }

  /** Colour only on a terminal, and never with --no-color or NO_COLOR (no-color.org). */
  useColor(): boolean {
    if (this.argv.includes('--no-color')) process.env.NO_COLOR = '1';
    return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  }

  /** Human output goes to stderr-free stdout only when --json is off. */
  say(text: string): void {
    if (!this.jsonEnabled()) this.log(text);
  }

  abstract override run(): Promise<T>;

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    // this.exit(code) throws; let it through untouched so the code (e.g. 2 for pending changes) survives --json.
    if ((err as { oclif?: { exit?: number } }).oclif?.exit !== undefined) throw err;
    if (err instanceof GridopsError) {
      if (this.jsonEnabled()) {
        this.logJson(err.toJSON());
      } else {
        if (err instanceof ValidationError) for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
        process.stderr.write(`error: ${err.message}\n`);
        if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
        if (this.verbose && err.cause) process.stderr.write(`cause: ${String((err.cause as Error)?.stack ?? err.cause)}\n`);
      }
      this.exit(err.exitCode);
    }
    return super.catch(err);
  }
}

export { ExitCode };
