import { Command, Flags, Interfaces } from '@oclif/core';
import { ExitCode, GridopsError, ValidationError } from './errors/index.js';
import { formatCommandLineProblem, formatProblems } from './errors/problem.js';
import { commandLineError, type RefusedCommand } from './command-line-error.js';

/**
 * Every gridops command extends this: `--json` prints the typed result that `run()` returns,
 * and GridopsErrors become one clear line, a hint, and the exit code from the table.
 */
export abstract class GridopsCommand<T> extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    verbose: Flags.boolean({ char: 'v', description: 'more detail, with timings', default: false, helpGroup: 'GLOBAL' }),
    color: Flags.boolean({ description: 'colour even into a pipe (default: on a terminal unless NO_COLOR is set); --no-color turns it off', allowNo: true, helpGroup: 'GLOBAL' }),
  };

  /** --verbose as the parser read it (`-yv` included); undefined until the command parsed its flags. */
  private parsedVerbose: boolean | undefined;

  protected get verbose(): boolean {
    return this.isVerbose();
  }

  isVerbose(): boolean {
    // Before parsing (a flag the parser refused, reported by catch) only a plain `-v` or `--verbose` is certain.
    return this.parsedVerbose ?? (this.argv.includes('--verbose') || this.argv.includes('-v'));
  }

  // oclif's own constraints (its FlagOutput and ArgOutput, which @oclif/core does not export), spelt out.
  protected override async parse<F extends { [name: string]: any }, B extends { [name: string]: any }, A extends { [name: string]: any }>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    let parsed: Interfaces.ParserOutput<F, B, A>;
    try {
      parsed = await super.parse(options, argv);
    } catch (err) {
      // Everything the parser throws is about the command line: some of it (a flag with no value)
      // as a plain CLIError that catch could not tell from this.exit's.
      throw commandLineError(err as Error, this.refusedCommand());
    }
    this.parsedVerbose = (parsed.flags as { verbose?: boolean }).verbose === true;
    return parsed;
  }

  /** This command, as the translation of a parse error reads it (commandLineError). */
  private refusedCommand(): RefusedCommand {
    const ctor = this.constructor as typeof Command;
    const examples = (command: { examples?: Command.Example[] }) => command.examples ?? [];
    return {
      id: this.id ?? '',
      flags: { ...ctor.baseFlags, ...ctor.flags },
      args: ctor.args ?? {},
      examples: examples(ctor),
      otherExamples: this.config.commands.filter((c) => c.id !== this.id).flatMap(examples),
    };
  }

  /**
   * Colour on a terminal unless NO_COLOR is set (no-color.org); the last of --color and --no-color
   * decides over both, as `ls --color` and git's flag do: --color also into a pipe (`| less -R`).
   * Read from argv, since a parse error is reported before any flag is parsed.
   */
  useColor(): boolean {
    const flag = [...this.argv].reverse().find((arg) => arg === '--color' || arg === '--no-color');
    if (flag === '--no-color') process.env.NO_COLOR = '1';
    if (flag !== undefined) return flag === '--color';
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
        if (err instanceof ValidationError) for (const line of [...formatProblems(err.problems), ...err.commandLine.map(formatCommandLineProblem)]) process.stderr.write(`${line}\n`);
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
