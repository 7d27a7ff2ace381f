import { tokenValues } from './ssh-pattern.js';

/**
 * A Host line as OpenSSH's readconf.c reads it: its patterns are its whitespace-separated words,
 * each matched whole, a comma included (`Host w?b1,zz` is one pattern, which no host name matches);
 * only a Match criterion's list is split at commas. The parser keeps a Host line of several words
 * as a list of them, but one of a single word as a string, which its compute() splits at commas. So
 * each such string is made a list of its one word as the file is read: compute() then matches it
 * whole, as gridops' own judgements of Host lines do (ssh-pattern.ts tokenValues).
 */

type Line = { param?: string; value?: unknown; config?: Line[] };

/** Rewrites every Host line of a parsed config (blocks included) whose value is one string into a list of that one word. */
export function withHostLinesAsWords<T extends Iterable<unknown>>(config: T): T {
  const walk = (lines: Iterable<unknown>) => {
    for (const line of lines as Iterable<Line>) {
      if (line.param !== undefined && /^host$/i.test(line.param) && typeof line.value === 'string') line.value = [{ val: line.value, separator: ' ', quoted: false }];
      if (Array.isArray(line.config)) walk(line.config);
    }
  };
  walk(config);
  return config;
}

/**
 * What is said of a Host line holding a word with a comma, which matches no host (no name holds a
 * comma), as the operator likely meant it as a list: the words with a comma, and the line written
 * with each comma a space. Undefined where no word holds one.
 */
export function commaInHostLine(value: unknown): string | undefined {
  const words = tokenValues(value);
  const withComma = words.filter((w) => w.includes(','));
  if (withComma.length === 0) return undefined;
  const written = words.join(' ');
  const meant = words.flatMap((w) => w.split(',').filter((part) => part !== '')).join(' ');
  return `Host ${written}: ssh reads a comma as part of the name, so ${words.length === 1 ? 'this' : withComma.join(' and ')} matches no host; write \`Host ${meant}\``;
}
