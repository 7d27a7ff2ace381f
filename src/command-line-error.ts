import { stripVTControlCharacters } from 'node:util';
import type { Command } from '@oclif/core';
import { UsageError } from './errors/index.js';

/**
 * oclif's parser says what went wrong in its own words ("Flag --out expects a value", "Parsing
 * --concurrency Expected an integer greater than or equal to 1 but received: 0", "All of the
 * following must be provided when using --allow-existing-changes: --site"), some of them not even
 * through the error a command catches. Here each of its kinds becomes one gridops UsageError: what
 * is wrong in gridops' words, and a hint that works when followed (exit 64, README "Exit codes").
 */

/** What a flag's definition tells the hint: a value it takes. */
interface FlagDefinition {
  type?: string;
  options?: readonly string[];
  default?: unknown;
  min?: number;
  max?: number;
  description?: string;
}

/** An argument's definition, as oclif's parser holds it. */
interface ArgumentDefinition {
  name: string;
  description?: string;
}

/** The command whose command line was refused. */
export interface RefusedCommand {
  /** oclif's id: `plan`, `lab:up`. */
  id: string;
  flags: Readonly<Record<string, FlagDefinition>>;
  args: Readonly<Record<string, ArgumentDefinition>>;
  /** The command's own examples first: a flag's value is taken from the first that gives it one. */
  examples: readonly Command.Example[];
  /** Other commands' examples, for a shared flag (--limit, --playbook) the command's own do not show. */
  otherExamples?: readonly Command.Example[];
}

/** The command as the user types it: `gridops lab up` for oclif's `lab:up`. */
function commandName(command: Pick<RefusedCommand, 'id'>): string {
  return `gridops ${command.id.replace(/:/g, ' ')}`;
}

/** `err`, thrown by oclif's parser (or a flag's own parse function), as a gridops UsageError. */
export function commandLineError(err: Error, command: RefusedCommand): UsageError {
  const options = { cause: err };
  const gridops = commandName(command);
  const help = `see \`${gridops} --help\``;
  const message = stripVTControlCharacters(err.message).replace(/\s*See more help with --help\s*$/, '');
  // A flag's own parse function refused its value with our error: keep its words and hint, without oclif's wrapping.
  if (err instanceof UsageError) return new UsageError(message.replace(/^Parsing --\S+\s*\n\t/, ''), err.hint, options);

  const missing = missingArguments(err);
  if (missing) return missingArgumentError(missing, gridops, help, command.examples, options);

  let m: RegExpMatchArray | null;
  if ((m = /^Flag --(\S+) expects a value$/.exec(message))) {
    return new UsageError(`--${m[1]} needs a value`, valueHint(m[1], command, `put a value after --${m[1]}`), options);
  }
  if ((m = /^Flag --(\S+) expects one of these values: (.*)$/.exec(message))) {
    return new UsageError(`--${m[1]} needs a value: one of ${m[2]}`, valueHint(m[1], command, `put one of ${m[2]} after --${m[1]}`), options);
  }
  if ((m = /^Expected --([^=\s]+)=(.*) to be one of: (.*)$/.exec(message))) {
    return new UsageError(`--${m[1]} ${shown(m[2])} is not one of ${m[3]}`, valueHint(m[1], command, `use one of ${m[3]}`), options);
  }
  if ((m = /^Flag --(\S+) can only be specified once$/.exec(message))) {
    return new UsageError(`--${m[1]} is given more than once: it takes one value`, `give --${m[1]} once`, options);
  }
  if ((m = /^Nonexistent flags?: (.*)$/.exec(message))) {
    const flags = m[1].split(', ');
    return new UsageError(`${gridops} has no flag ${flags.join(' or ')}`, `leave ${flags.length === 1 ? 'it' : 'them'} out; ${help} for the flags it takes`, options);
  }
  if ((m = /^Unexpected arguments?: (.*)$/.exec(message))) return unexpectedArguments(m[1].split(', '), command, gridops, options);
  if ((m = /^Parsing --(\S+)\s*\n\t([\s\S]*)$/.exec(message))) return flagValueRefused(m[1], m[2].trim(), command, options);
  if ((m = /^The following errors? occurred:\s*([\s\S]*)$/.exec(message))) {
    const refused = m[1].split('\n').map((reason) => reason.trim()).filter(Boolean).map((reason) => relationshipRefused(reason, command));
    return new UsageError(refused.map((r) => r.message).join('; '), refused.map((r) => r.hint).join('; '), options);
  }
  return new UsageError(message.replace(/\s*\n\s*/g, ' ').trim(), help, options);
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
function missingArgumentError(missing: readonly MissingArgument[], gridops: string, help: string, examples: readonly Command.Example[], options: { cause: unknown }): UsageError {
  const what = missing.map((a) => `${a.name.toUpperCase()}${a.description ? `, the ${a.description}` : ''}`).join(', and ');
  const example = firstExample(examples);
  return new UsageError(`${gridops}: missing ${what}`, example ? `for example: ${example}` : help, options);
}

/** Arguments past the ones the command takes (`plan a b`, `schema extra`). */
function unexpectedArguments(extra: readonly string[], command: RefusedCommand, gridops: string, options: { cause: unknown }): UsageError {
  const takes = Object.values(command.args).map((a) => a.name.toUpperCase());
  const them = extra.length === 1 ? 'it' : 'them';
  const example = firstExample(command.examples);
  const message = `unexpected argument${extra.length === 1 ? '' : 's'} ${extra.map(shown).join(' ')}: ${gridops} takes ${takes.length ? `${takes.join(' ')} only` : 'no argument'}`;
  return new UsageError(message, example ? `leave ${them} out, as in: ${example}` : `leave ${them} out: ${gridops}`, options);
}

/** A flag's value its parse function refused: oclif's integer flags, or another library error. */
function flagValueRefused(name: string, reason: string, command: RefusedCommand, options: { cause: unknown }): UsageError {
  const flag = command.flags[name];
  const range = flag?.min !== undefined && flag.max !== undefined ? ` from ${flag.min} to ${flag.max}` : flag?.min !== undefined ? ` of ${flag.min} or more` : flag?.max !== undefined ? ` up to ${flag.max}` : '';
  const integerHint = valueHint(name, command, `give --${name} a whole number${range}`, `give --${name} a whole number${range}`);
  let m: RegExpMatchArray | null;
  if ((m = /^Expected an integer but received: (.*)$/.exec(reason))) return new UsageError(`--${name} ${shown(m[1])} is not a whole number`, integerHint, options);
  if ((m = /^Expected an integer greater than or equal to (\S+) but received: (.*)$/.exec(reason))) return new UsageError(`--${name} ${shown(m[2])} is less than ${m[1]}, the least it takes`, integerHint, options);
  if ((m = /^Expected an integer less than or equal to (\S+) but received: (.*)$/.exec(reason))) return new UsageError(`--${name} ${shown(m[2])} is more than ${m[1]}, the most it takes`, integerHint, options);
  return new UsageError(`--${name}: ${reason.replace(/\s*\n\s*/g, ' ')}`, valueHint(name, command, `see \`${commandName(command)} --help\``), options);
}

/** One of oclif's flag-relationship reasons (dependsOn, exclusive, required...) in gridops' words. */
function relationshipRefused(reason: string, command: RefusedCommand): { message: string; hint: string } {
  const flagsOf = (list: string) => list.split(', ').map((f) => f.trim());
  let m: RegExpMatchArray | null;
  if ((m = /^All of the following must be provided when using --(\S+): (.*)$/.exec(reason))) {
    const needed = flagsOf(m[2]);
    const add = needed.map((f) => withValue(f.replace(/^--/, ''), command)).join(' ');
    return { message: `--${m[1]} works only with ${needed.join(' and ')}`, hint: `add ${add}, or leave out --${m[1]}` };
  }
  if ((m = /^--([^=\s]+)(?:=.*)? cannot also be provided when using --(\S+)$/.exec(reason))) {
    return { message: `--${m[2]} and --${m[1]} cannot be used together`, hint: `leave out --${m[1]} or --${m[2]}` };
  }
  if ((m = /^Missing required flag (\S+)$/.exec(reason))) {
    return { message: `--${m[1]} is required`, hint: `add ${withValue(m[1], command)}` };
  }
  if ((m = /^One of the following must be provided when using --(\S+): (.*)$/.exec(reason))) {
    return { message: `--${m[1]} works only with one of ${m[2]}`, hint: `add one of ${m[2]}, or leave out --${m[1]}` };
  }
  if ((m = /^Only the following can be provided when using --(\S+): (.*)$/.exec(reason))) {
    return { message: `--${m[1]} takes no other flag than ${m[2]}`, hint: `leave out the others, or leave out --${m[1]}` };
  }
  if ((m = /^(Exactly|At least) one of the following must be provided: (.*)$/.exec(reason))) {
    return { message: `${m[1].toLowerCase() === 'exactly' ? 'exactly' : 'at least'} one of ${m[2]} is needed`, hint: `add ${m[1].toLowerCase() === 'exactly' ? 'one' : 'one or more'} of ${m[2]}` };
  }
  return { message: reason, hint: `see \`${commandName(command)} --help\`` };
}

/** `--name VALUE` with a value the flag takes, or `--name` alone when none is known. */
function withValue(name: string, command: RefusedCommand): string {
  const value = exampleValue(name, command);
  return value === undefined ? `--${name}` : `--${name} ${value}`;
}

/** "e.g. --out plan.json" after `lead`, or `fallback` (else `lead` with the command's help) when no value is known. */
function valueHint(name: string, command: RefusedCommand, lead: string, fallback?: string): string {
  const value = exampleValue(name, command);
  if (value !== undefined) return `${lead}, e.g. --${name} ${value}`;
  return fallback ?? `${lead}; see \`${commandName(command)} --help\` for what it takes`;
}

/**
 * A value `--name` takes, from where the command already shows one: its examples, the flag's
 * options, an integer flag's default or least value, an "(e.g. 30s)" in its description, then the
 * examples of other commands that share the flag.
 */
function exampleValue(name: string, command: RefusedCommand): string | undefined {
  const flag = command.flags[name];
  const fromExamples = (examples: readonly Command.Example[]) => {
    const pattern = new RegExp(`(?:^|\\s)--${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:=|\\s+)([^\\s-][^\\s]*)`);
    for (const example of examples) {
      const m = pattern.exec(typeof example === 'string' ? example : example.command);
      if (m) return m[1];
    }
    return undefined;
  };
  return (
    fromExamples(command.examples) ??
    flag?.options?.[0] ??
    (flag?.type === 'option' && typeof flag.default === 'number' ? String(flag.default) : undefined) ??
    (flag?.min !== undefined ? String(flag.min) : undefined) ??
    /\(e\.g\. ([^\s,)]+)[,)]/.exec(flag?.description ?? '')?.[1] ??
    fromExamples(command.otherExamples ?? [])
  );
}

/** The first of the command's examples, as a user types it. */
function firstExample(examples: readonly Command.Example[]): string | undefined {
  const first = examples.map((e) => (typeof e === 'string' ? e : e.command)).find(Boolean);
  return first?.replace(/<%=\s*config\.bin\s*%>/g, 'gridops');
}

/** A value as the user typed it, quoted where it would not read as one word (an empty one, one with spaces). */
function shown(value: string): string {
  return value === '' || /\s/.test(value) ? JSON.stringify(value) : value;
}
