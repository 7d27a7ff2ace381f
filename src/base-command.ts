import { Command, Flags, Interfaces } from '@oclif/core';
import { ExitCode, GridopsError, UsageError, ValidationError } from './errors/index.js';
import { formatCommandLineProblem, formatProblems } from './errors/problem.js';

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
    const parsed = await super.parse(options, argv);
    this.parsedVerbose = (parsed.flags as { verbose?: boolean }).verbose === true;
    return parsed;
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
    if (isParseError(err)) err = this.usageError(err);
    else if ((err as { oclif?: { exit?: number } }).oclif?.exit !== undefined) throw err;
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

  /**
   * oclif's parse errors (unknown flag, missing argument, a value outside a flag's options)
   * would exit 2, which `plan --detailed-exitcode` means as "changes present".
   */
  private usageError(err: Error): UsageError {
    // A flag's own parse function refused its value with our error: keep its words and hint, without oclif's wrapping.
    if (err instanceof UsageError) return new UsageError(err.message.replace(/^Parsing --\S+\s*\n\t/, '').replace(/\s*See more help with --help\s*$/, ''), err.hint, { cause: err.cause });
    const missing = missingArguments(err);
    if (missing) return missingArgumentError(missing, this.id ?? '', (this.constructor as typeof Command).examples, { cause: err });
    const message = err.message
      .replace(/\s*See more help with --help\s*$/, '')
      // oclif's flag-relationship errors (--allow-existing-changes without --site) open with this preamble.
      .replace(/^The following errors? occurred:\s*/, '')
      .replace(/\s*\n\s*/g, ' ')
      .trim();
    return new UsageError(message, `see \`gridops ${this.id?.replace(/:/g, ' ') ?? ''} --help\``, { cause: err });
  }
}

/** A required argument oclif's parser did not get: its name and description. */
interface MissingArgument {
  name: string;
  description?: string;
}

/** The arguments of oclif's RequiredArgsError ("Missing 1 required arg"), else undefined. */
function missingArguments(err: Error): MissingArgument[] | undefined {
  const args = (err as { args?: unknown }).args;
  if (!/^Missing \d+ required args?\b/.test(err.message) || !Array.isArray(args)) return undefined;
  return args.filter((a): a is MissingArgument => typeof (a as MissingArgument | undefined)?.name === 'string');
}

/**
 * A missing argument, said as what is missing and a command that works. oclif's own message
 * appends a note about multi-value flags to every such error, even when none was given (and ours
 * take one value each), which buried what was missing.
 */
function missingArgumentError(missing: readonly MissingArgument[], commandId: string, examples: Command.Example[] | undefined, options?: { cause?: unknown }): UsageError {
  const command = `gridops ${commandId.replace(/:/g, ' ')}`.trim();
  const what = missing.map((a) => `${a.name.toUpperCase()}${a.description ? `, the ${a.description}` : ''}`).join(', and ');
  const example = (examples ?? []).map((e) => (typeof e === 'string' ? e : e.command)).find(Boolean)?.replace(/<%=\s*config\.bin\s*%>/g, 'gridops');
  return new UsageError(`${command}: missing ${what}`, example ? `for example: ${example}` : `see \`${command} --help\``, options);
}

/** An error from oclif's flag and argument parser: its CLIParseError family, or a flag's own parse function. */
function isParseError(err: Error): boolean {
  return (err as { parse?: unknown }).parse !== undefined || /^Parsing --/.test(err.message);
}

export { ExitCode };
