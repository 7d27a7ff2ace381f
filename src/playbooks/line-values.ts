import { showValue } from '../topology/formats.js';

/**
 * Why a `line` entry's `line` or `match` would fail on every host, by field: a line holding a line
 * break (the resource refuses it at plan time, and it would write lines of its own), a literal
 * match that is no regular expression (JavaScript's, compiled at plan time). A match with a
 * `{{...}}` is compiled once rendered for a node, and refused there.
 */
export function lineValueProblems(body: { line?: unknown; match?: unknown }): { field: 'line' | 'match'; message: string; hint: string }[] {
  const found: { field: 'line' | 'match'; message: string; hint: string }[] = [];
  if (typeof body.line === 'string' && /[\n\r]/.test(body.line)) {
    found.push({ field: 'line', message: `${showValue(body.line)} holds a line break: a line entry ensures one line`, hint: 'write one entry per line' });
  }
  if (typeof body.match === 'string' && !body.match.includes('{{')) {
    try {
      new RegExp(body.match);
    } catch (err) {
      found.push({ field: 'match', message: `${showValue(body.match)} is not a regular expression: ${(err as Error).message}`, hint: 'escape a literal [ ( ) { } . * + ? as \\[ (JavaScript regular expressions)' });
    }
  }
  return found;
}
