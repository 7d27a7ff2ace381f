import { FORMATS, type FormatName, type FormatVerdict } from './formats.js';
import type { WrittenScalar } from './source.js';
import { plural } from '../plural.js';

/**
 * What to write instead of a value the schema refuses, built from the type and bounds the schema
 * expects. A schema description says what a field is ("SSH port"), not how to fix it, and a field
 * without one would leave the problem without a hint: the description only follows the advice.
 */

/** The parts of a JSON Schema node that say what a value may be. */
export interface ExpectedValue {
  type?: string;
  /** A string format (formats.ts) the value must also pass. */
  format?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  /** What a list's entries are: a list of mappings needs an example of mappings. */
  items?: { type?: string; required?: string[]; properties?: Record<string, { type?: string }> };
}

/**
 * The words a user writes for true and false, looked up lowercased: true and false themselves (a
 * string when quoted), and YAML 1.1's others (Ansible's habit), which YAML 1.2 reads as strings. A
 * Map, not an object literal: a value such as `constructor` would find Object.prototype's members.
 */
const YAML11_BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['yes', true],
  ['y', true],
  ['on', true],
  ['no', false],
  ['n', false],
  ['off', false],
]);

interface Bound {
  value: number;
  inclusive: boolean;
}

function lowerBound(s: ExpectedValue): Bound | undefined {
  if (s.minimum !== undefined) return { value: s.minimum, inclusive: true };
  return s.exclusiveMinimum !== undefined ? { value: s.exclusiveMinimum, inclusive: false } : undefined;
}

function upperBound(s: ExpectedValue): Bound | undefined {
  if (s.maximum !== undefined) return { value: s.maximum, inclusive: true };
  return s.exclusiveMaximum !== undefined ? { value: s.exclusiveMaximum, inclusive: false } : undefined;
}

/** "from 1 to 65535", "of at least 16", "above 0 and at most 400000"; undefined without bounds. */
function rangeWords(s: ExpectedValue): string | undefined {
  const low = lowerBound(s);
  const high = upperBound(s);
  if (low?.inclusive && high?.inclusive) return `from ${low.value} to ${high.value}`;
  const parts = [low && `${low.inclusive ? 'at least' : 'above'} ${low.value}`, high && `${high.inclusive ? 'at most' : 'below'} ${high.value}`].filter(Boolean);
  if (parts.length === 0) return undefined;
  const phrase = parts.join(' and ');
  return phrase.startsWith('at ') ? `of ${phrase}` : phrase;
}

/** "a whole number from 1 to 65535": what a number field takes, in words. */
function numberWords(s: ExpectedValue): string {
  const range = rangeWords(s);
  return `${s.type === 'integer' ? 'a whole number' : 'a number'}${range ? ` ${range}` : ''}`;
}

/** The allowed value nearest to `value`: the bound it crossed, or a step inside an exclusive one. */
function nearestAllowed(s: ExpectedValue, value: number): number {
  const low = lowerBound(s);
  const high = upperBound(s);
  const allows = (v: number) => (!low || (low.inclusive ? v >= low.value : v > low.value)) && (!high || (high.inclusive ? v <= high.value : v < high.value));
  // A number between exclusive bounds closer than 1 apart (0 < x < 0.5) is not a whole step inside: their middle is.
  const inside = (bound: number, step: number) => (allows(bound + step) || !low || !high ? bound + step : (low.value + high.value) / 2);
  if (low && !(low.inclusive ? value >= low.value : value > low.value)) return low.inclusive ? low.value : inside(low.value, 1);
  if (high && !(high.inclusive ? value <= high.value : value < high.value)) return high.inclusive ? high.value : inside(high.value, -1);
  return value;
}

/**
 * For a number out of range: the range, the allowed value nearest to the one written, and the
 * other forms a union takes (`alternatives`, e.g. "a percentage such as 10%").
 */
export function rangeHint(expected: ExpectedValue, value: unknown, alternatives: readonly string[] = []): string {
  const example = typeof value === 'number' ? `, e.g. ${nearestAllowed(expected, value)}` : '';
  return `write ${numberWords(expected)}${example}${alternatives.length ? `, or ${alternatives.join(' or ')}` : ''}`;
}

/**
 * For a value of the wrong type: how to write one of `type`, within `expected`'s bounds. `key` is the last
 * segment of the value's path (a list item has no key of its own to show), `field` its name in messages.
 * `textCheck`: the field's own check of a string beyond the schema (a playbook entry's owner, refused
 * as an id), which, like a format, has the say on a number that quoting would not make right.
 * `written`: how the file writes the value, where it is a scalar (`0644` for the 644 YAML read).
 */
export function typeHint(expected: ExpectedValue, type: string, value: unknown, key: string | number, field: string, textCheck?: (text: string) => FormatVerdict | null, written?: WrittenScalar): string {
  // Unknown how it is written: a string where a number belongs was most likely quoted.
  const quoted = typeof value === 'string' && (written?.quoted ?? true);
  const keyed = (v: string) => (typeof key === 'number' ? v : `${key}: ${v}`);
  switch (type) {
    case 'integer':
    case 'number':
      return `write ${numberWords(expected)}${quoted ? ', without quotes' : ''}`;
    case 'boolean':
      return booleanHint(value, written, keyed);
    case 'string':
      // A number or true/false the YAML parser read as such: the same text in quotes is the string meant.
      if (typeof value === 'number' || typeof value === 'boolean') {
        // The text as written: `0644` is the number 644 to YAML 1.2, and "644" is not what the user meant.
        const text = written?.text ?? String(value);
        // Quoting is the fix only where the quoted text passes the field's format: `30` for a
        // duration would just trade this error for "has no unit", so that format's own advice comes first.
        const check = textCheck ?? (expected.format !== undefined && expected.format in FORMATS ? FORMATS[expected.format as FormatName] : undefined);
        const verdict = check?.(text) ?? null;
        const readAs = typeof value === 'number' && text !== String(value) ? ` (YAML 1.2 reads ${text} as the number ${value})` : '';
        return verdict ? verdict.hint : `quote it: ${keyed(JSON.stringify(text))}${readAs}`;
      }
      if (value === null || value === undefined) return `write the value after ${typeof key === 'number' ? 'the dash' : `\`${key}:\``}`;
      return `write one string here, not ${Array.isArray(value) ? 'a list' : 'a mapping'}`;
    case 'array':
      return listHint(expected.items, value, keyed, field);
    case 'object':
      return `write ${field} as a mapping: its keys indented under it, or { key: value }`;
    default:
      return `write ${type}`;
  }
}

/** For a value where true or false belongs: `yes` (YAML 1.1, Ansible's habit) is a string to YAML 1.2, and was written without quotes. */
function booleanHint(value: unknown, written: WrittenScalar | undefined, keyed: (v: string) => string): string {
  if (typeof value !== 'string') return 'write true or false';
  const meant = YAML11_BOOLEANS.get(value.toLowerCase());
  if (meant === undefined) return 'write true or false';
  if (written?.quoted) return `write ${keyed(String(meant))}, without quotes`;
  return `YAML 1.2 reads ${value} as a string, not as true or false: write ${keyed(String(meant))}`;
}

/**
 * For a value where a list belongs. A list of mappings (regions, nodes, handlers) gets an example
 * of mappings with their required keys: `[r1]` for regions would trade this error for two others.
 */
function listHint(items: ExpectedValue['items'], value: unknown, keyed: (v: string) => string, field: string): string {
  const scalar = value === null || typeof value !== 'object';
  if (items?.type !== 'object') {
    return scalar ? `write it as a list, e.g. ${keyed(`[${String(value)}]`)}` : `write ${field} as a list: one entry per line, each starting with "- ", or [a, b]`;
  }
  const required = items.required ?? [];
  if (!scalar) return `write ${field} as a list of mappings: put "- " before the first key of each entry (its other keys indented to match), or wrap it as [{ key: value }]`;
  if (required.length === 0) return `write ${field} as a list of mappings: one entry per line, each starting with "- "`;
  // The value written names the entry where entries have a name (regions: r1 is region r1); the other keys are left to fill in.
  const placeholder = (k: string) => (k === 'name' && value !== null && value !== undefined ? String(value) : { array: '[...]', object: '{...}' }[items.properties?.[k]?.type ?? ''] ?? '...');
  const entry = required.map((k) => `${k}: ${placeholder(k)}`).join(', ');
  return `write it as a list of mappings, each with ${andList(required)}, e.g. ${keyed(`[{ ${entry} }]`)}${entry.includes('...') ? ', each ... replaced by its value' : ''}`;
}

/** "a", "a and b", "a, b and c". */
export function andList(words: readonly string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : (words[0] ?? '');
}

/** For a string or list of the wrong length; undefined for any other keyword. */
export function lengthHint(keyword: string, limit: number): string | undefined {
  const characters = plural(limit, 'character');
  const entries = plural(limit, 'entry', 'entries');
  const hints: Record<string, string> = {
    minLength: `write at least ${characters}`,
    maxLength: `write at most ${characters}`,
    minItems: `list at least ${entries}`,
    maxItems: `list at most ${entries}`,
  };
  return hints[keyword];
}

/** The advice, then what the field is where the schema says so: "…, without quotes; port: SSH port". */
export function withDescription(advice: string, field: string, description: string | undefined): string {
  return description ? `${advice}; ${field}: ${description}` : advice;
}
