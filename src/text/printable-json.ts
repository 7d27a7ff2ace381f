import { printableText } from './printable-text.js';

/**
 * JSON.stringify of a string or a value, safe to print on a terminal: JSON escapes only the C0
 * controls, so DEL, the C1 controls (U+009B is a CSI on many terminals: an escape sequence in a
 * tampered state file's value would run in the operator's terminal) and the characters that
 * reorder text (bidi overrides and isolates, line and paragraph separators) are written as
 * `\uXXXX` too. Still valid JSON, meaning the same value. In src/text, the lowest layer, which
 * imports nothing of the project: gridagent (bundled alone onto the nodes) and every layer of the
 * CLI, the topology's checks included, show values through it.
 */
export function printableJson(value: unknown): string | undefined {
  // JSON leaves no C0 control raw, so printableText escapes only what JSON does not.
  const json = JSON.stringify(value);
  return json === undefined ? undefined : printableText(json);
}

/**
 * A value found in a file, for a message: printableJson cut to `max` code points (a pair of
 * surrogates cut in two prints as U+FFFD), so a tampered file can neither act on the terminal nor
 * flood it. A value JSON cannot write (a function, undefined) is shown as JavaScript writes it.
 */
export function printableValue(value: unknown, max = 40): string {
  const json = printableJson(value) ?? String(value);
  const points = Array.from(json);
  return points.length > max ? `${points.slice(0, max - 3).join('')}...` : json;
}
