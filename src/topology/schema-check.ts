import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, AnySchema } from 'ajv';
import { loadValidatorFile } from './validator-file.js';
import { closest, distance } from 'fastest-levenshtein';
import { FORMATS, showValue, type FormatName, type FormatVerdict } from './formats.js';
import { andList, lengthHint, rangeHint, typeHint, withDescription, type ExpectedValue } from './schema-hint.js';
import type { Problem } from '../errors/problem.js';
import { plural } from '../plural.js';
import { printableJson } from '../text/printable-json.js';
import { printableText } from '../text/printable-text.js';
import { pathToString, positionOf, writtenScalar, type PathSegment, type SourceDocument, type WrittenScalar } from './source.js';

/**
 * Structural validation against a JSON Schema, reported as positioned problems with hints.
 * Used for topologies and playbooks alike.
 */
let sharedAjv: Ajv | undefined;

/** The ajv options of every schema check; scripts/compile-schemas.js compiles with the same. */
export const AJV_OPTIONS = { allErrors: true, strict: false, verbose: true } as const;

/** The topology formats as ajv format definitions (FORMATS' checkers say why a value is wrong; ajv only needs yes or no). */
export function ajvFormats(): Record<string, { type: 'string'; validate: (v: string) => boolean }> {
  return Object.fromEntries(Object.entries(FORMATS).map(([name, check]) => [name, { type: 'string' as const, validate: (v: string) => check(v) === null }]));
}

/** Identifies a schema's content, so a validator compiled at build time is only used for the schema it was made from. */
export function schemaHash(schema: AnySchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/** One ajv instance for every schema: creating one and registering the formats costs more than a compile. */
function ajv(): Ajv {
  if (!sharedAjv) {
    // Loaded only here: with the build's precompiled validators a run never needs ajv itself.
    const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    sharedAjv = new AjvClass(AJV_OPTIONS);
    for (const [name, def] of Object.entries(ajvFormats())) sharedAjv.addFormat(name, def);
  }
  return sharedAjv;
}

type Validate = ReturnType<Ajv['compile']>;
type Precompiled = { hash: string; make: (formats: ReturnType<typeof ajvFormats>) => Validate };

/** The file scripts/compile-schemas.js writes a schema's validator to, under dist/schema-validators/. */
export function validatorFileName(name: string): string {
  return `${name.replace(/[^a-z0-9-]/gi, '-')}.cjs`;
}

/**
 * The validator scripts/compile-schemas.js made at build time for `name`, if it was made from
 * this very schema; otherwise (no build yet, or a schema edited since) undefined, and ajv compiles.
 */
function prebuilt(name: string, schema: AnySchema): Validate | undefined {
  let entry: Precompiled;
  try {
    entry = loadValidatorFile(validatorFileName(name)) as Precompiled;
  } catch {
    return undefined;
  }
  return entry.hash === schemaHash(schema) ? entry.make(ajvFormats()) : undefined;
}

/** What a checker says that depends on the format it checks. */
export interface SchemaWording {
  /** The hint for a YAML merge key (`<<`): how this format shares values instead. */
  mergeKeyHint?: string;
  /**
   * The check a string at `path` must also pass beyond the schema, if any (a playbook entry's
   * values: entry-values.ts): a number written there is told that check's advice where the number
   * quoted would fail it too (an owner of `1000`: a name, not "quote it").
   */
  textCheck?: (path: readonly PathSegment[]) => ((text: string) => FormatVerdict | null) | undefined;
}

/** gridops parses YAML without merge keys (a `<<:` would hide where a value comes from): said as such, not as an unknown key. */
const MERGE_KEY = '<<';

/**
 * A checker for `schema`, made on first use (start-up stays fast for commands that never need
 * it): the build's precompiled validator for `name` when it matches, else an ajv compile.
 */
export function makeSchemaChecker(schema: AnySchema, name?: string, wording: SchemaWording = {}) {
  let compiled: Validate | undefined;
  const validate = (value: unknown) => {
    compiled ??= (name ? prebuilt(name, schema) : undefined) ?? ajv().compile(schema);
    return compiled(value);
  };
  /** Checks `value` (default: the whole document), found at `basePath` inside the document. */
  return (source: SourceDocument, value: unknown = source.value, basePath: PathSegment[] = []): Problem[] => {
    if (validate(value)) return [];
    return toProblems(compiled!.errors ?? [], source, basePath, wording);
  };
}

function parsePointer(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

const TYPE_WORDS: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false' };

/** The candidate close enough to `word` to be what was meant (a typo), for "did you mean"; else undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, candidates);
  return distance(word.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

function toProblems(errors: ErrorObject[], source: SourceDocument, basePath: PathSegment[], wording: SchemaWording): Problem[] {
  // Within one value, a specific complaint (format, range, unknown key) beats the generic
  // "no branch of anyOf matched" and the type mismatch of the branch that was never meant.
  const specific = new Set(errors.filter((e) => !['type', 'anyOf', 'const'].includes(e.keyword)).map((e) => e.instancePath));
  // "adress: x" is an unknown key and a missing "address": say it once, as a typo.
  const typoFor = new Set(
    errors
      .filter((e) => e.keyword === 'additionalProperties')
      .map((e) => {
        const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
        return `${e.instancePath}/${suggest((e.params as { additionalProperty: string }).additionalProperty, allowed) ?? ''}`;
      }),
  );
  const unions = new Map(errors.filter((e) => e.keyword === 'anyOf').map((e) => [e.instancePath, e]));
  // ajv reports each missing key of a mapping apart; one problem names them all, so none is left for the next run.
  const missingKeys = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword !== 'required') continue;
    const missing = (e.params as { missingProperty: string }).missingProperty;
    if (typoFor.has(`${e.instancePath}/${missing}`)) continue;
    missingKeys.set(e.instancePath, [...(missingKeys.get(e.instancePath) ?? []), missing]);
  }
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const e of errors) {
    const path = [...basePath, ...parsePointer(e.instancePath)];
    if (['type', 'anyOf', 'const'].includes(e.keyword) && specific.has(e.instancePath)) continue;
    // Within a union, the anyOf error names every allowed branch; its branches' own errors name one.
    if (['type', 'const'].includes(e.keyword) && unions.has(e.instancePath)) continue;
    if (e.keyword === 'required' && typoFor.has(`${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`)) continue;
    const described = describe(e, path, unions.get(e.instancePath), missingKeys.get(e.instancePath), wording, e.keyword === 'type' ? writtenScalar(source, path) : undefined);
    if (!described) continue;
    const made = e.keyword === 'additionalProperties' && (e.params as { additionalProperty: string }).additionalProperty === MERGE_KEY ? mergeKey(described, path, wording) : described;
    const dedupe = `${pathToString(made.path)}|${made.key ? 'k' : 'v'}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    const pos = positionOf(source, made.path, { key: made.key });
    problems.push({ file: source.file, ...pos, path: pathToString(made.path), message: made.message, hint: made.hint });
  }
  return problems;
}

interface Described {
  path: PathSegment[];
  key?: boolean;
  message: string;
  hint?: string;
}

function anyOfTypes(e: ErrorObject): string[] {
  const branches = ((e.schema as AnySchema[] | undefined) ?? []) as Array<{ type?: string; const?: unknown }>;
  return branches.map((b) => (b.const !== undefined ? JSON.stringify(b.const) : TYPE_WORDS[b.type ?? ''] ?? 'a value'));
}

/**
 * The file's value a const or a union of consts refused, after the values the schema wants (which
 * are its own, printed as JSON): a string as the format problems show theirs, cut and with the
 * terminal's control and reordering characters escaped, any other value as printable JSON.
 */
function refusedValue(data: unknown): string | undefined {
  return typeof data === 'string' ? showValue(data) : printableJson(data);
}

/** A merge key, at the `<<` the unknown-key problem points at. */
function mergeKey(unknownKey: Described, path: PathSegment[], wording: SchemaWording): Described {
  return {
    ...unknownKey,
    message: `YAML merge keys (${MERGE_KEY}) are not supported: ${printableText(pathToString(path)) || 'the document'} takes its keys written out`,
    hint: wording.mergeKeyHint ?? 'write the keys out here; an alias (*name) repeats a whole value, it does not merge into a mapping',
  };
}

/**
 * `union`: the anyOf error at the same value, when `e` is one of its branches' (its description and other branches help the hint).
 * `missingKeys`: every required key the value lacks, when `e` is a `required` error.
 * `written`: how the file writes the value, when `e` is a `type` error on a scalar.
 */
function describe(e: ErrorObject, path: PathSegment[], union?: ErrorObject, missingKeys: string[] = [], wording: SchemaWording = {}, written?: WrittenScalar): Described | null {
  // A path holds the file's own keys where a mapping takes any (labels, sysctl, module params): printed bare, they are escaped.
  const where = printableText(pathToString(path)) || 'the document';
  const last = path[path.length - 1];
  const field = printableText(typeof last === 'number' ? `${String(path[path.length - 2] ?? '')}[${last}]` : String(last ?? 'document'));
  const parent = e.parentSchema as (ExpectedValue & { properties?: Record<string, unknown> }) | undefined;
  // What the field is: its own description, or, for a branch of a union, the union's.
  const described = (advice: string) => withDescription(advice, field, parent?.description ?? (union?.parentSchema as ExpectedValue | undefined)?.description);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(parent?.properties ?? {});
      const guess = suggest(key, allowed);
      return {
        path: [...path, key],
        key: true,
        message: `unknown key ${showValue(key)} in ${where}${guess ? `; did you mean "${guess}"?` : ''}`,
        hint: `allowed keys here: ${allowed.join(', ')}`,
      };
    }
    case 'required': {
      const missing = missingKeys.length > 0 ? missingKeys : [(e.params as { missingProperty: string }).missingProperty];
      const keys = andList(missing.map((k) => `"${k}"`));
      return { path, key: path.length > 0, message: `${where} is missing required key${missing.length > 1 ? 's' : ''} ${keys}`, hint: `add ${andList(missing.map((k) => `\`${k}:\``))} to ${where}` };
    }
    case 'type': {
      const types = String((e.params as { type: string }).type).split(',');
      const expected = types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
      const advice = types.length === 1 ? typeHint(parent ?? {}, types[0]!, e.data, typeof last === 'number' ? last : field, field, wording.textCheck?.(path), written) : `write ${expected}`;
      return { path, message: `${field} must be ${expected}, not ${typeOf(e.data)}`, hint: described(advice) };
    }
    case 'anyOf': {
      const options = anyOfTypes(e);
      const allConst = ((e.schema as Array<{ const?: unknown }>) ?? []).every((b) => b.const !== undefined);
      const listed = options.length > 1 ? `${options.slice(0, -1).join(', ')} or ${options[options.length - 1]}` : options[0];
      return { path, message: `${field} must be ${listed}, not ${allConst ? refusedValue(e.data) : typeOf(e.data)}`, hint: parent?.description ?? `write ${listed}` };
    }
    case 'const': {
      const allowed = (e.params as { allowedValue: unknown }).allowedValue;
      return { path, message: `${field} must be ${JSON.stringify(allowed)}, not ${refusedValue(e.data)}`, hint: `write \`${field}: ${String(allowed)}\`` };
    }
    case 'pattern':
    case 'format': {
      // A pattern that stands for a format (FORMAT_PATTERNS) is reported as that format, with its checker's words.
      const format = e.keyword === 'format' ? (e.params as { format: FormatName }).format : (e.parentSchema as { format?: FormatName } | undefined)?.format;
      // A plain pattern (the playbook schema's names, modes, units): what the field takes is its description.
      if (format === undefined) {
        const takes = parent?.description;
        const pattern = (e.params as { pattern: string }).pattern;
        return { path, message: takes ? `${field}: ${showValue(String(e.data))} is not allowed here` : `${field}: ${showValue(String(e.data))} does not match ${pattern}`, hint: takes ? `${field} must be ${takes}` : `write a value that matches ${pattern}` };
      }
      const verdict = FORMATS[format]?.(String(e.data));
      // A format error on the key of a record (labels, sysctl, module params) points at that key.
      const hint = verdict?.hint ?? described(`write a valid ${format}`);
      if (e.propertyName !== undefined) return { path: [...path, e.propertyName], key: true, message: verdict?.message ?? `${showValue(e.propertyName)} is not a valid ${format}`, hint };
      return { path, message: `${field}: ${verdict?.message ?? `invalid ${format}`}`, hint };
    }
    case 'propertyNames':
      return null; // the nested format error on the key says it better
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const p = e.params as { comparison: string; limit: number };
      return { path, message: `${field} is ${String(e.data)}, out of range (must be ${p.comparison} ${p.limit})`, hint: described(rangeHint(parent ?? {}, e.data, otherBranches(union, e))) };
    }
    case 'uniqueItems':
      return { path, message: `${field} lists the same item twice`, hint: 'remove the duplicate entry' };
    case 'minItems':
    case 'maxItems': {
      const limit = (e.params as { limit: number }).limit;
      const count = (e.data as unknown[]).length;
      const message =
        e.keyword === 'maxItems'
          ? `${field} lists ${count} entries, more than the ${limit} allowed`
          : count === 0
            ? `${field} is an empty list; it needs at least ${plural(limit, 'entry', 'entries')}`
            : `${field} lists ${plural(count, 'entry', 'entries')}, fewer than the ${limit} it needs`;
      return { path, message, hint: described(lengthHint(e.keyword, limit)!) };
    }
    case 'minLength':
    case 'maxLength': {
      const limit = (e.params as { limit: number }).limit;
      // In code points, as ajv counts them: an emoji is one character, not two UTF-16 units.
      const length = [...String(e.data)].length;
      const message = length === 0 ? `${field} is an empty string` : `${field} is ${plural(length, 'character')} long, ${e.keyword === 'minLength' ? 'fewer' : 'more'} than the ${limit} ${e.keyword === 'minLength' ? 'it needs' : 'allowed'}`;
      return { path, message, hint: described(lengthHint(e.keyword, limit)!) };
    }
    case 'maxProperties': {
      const limit = (e.params as { limit: number }).limit;
      return { path, message: `${field} has ${Object.keys(e.data as object).length} entries, more than the ${limit} allowed`, hint: described(`keep at most ${limit} entries under ${field}`) };
    }
    default: {
      const advice = lengthHint(e.keyword, Number((e.params as { limit?: number }).limit)) ?? `change ${field}: it ${e.message ?? 'is invalid'}`;
      return { path, message: `${field} ${e.message ?? 'is invalid'}`, hint: described(advice) };
    }
  }
}

/** The forms a union takes besides the branch `e` failed in, for a hint's "or …" ("a percentage such as 10%"). */
function otherBranches(union: ErrorObject | undefined, e: ErrorObject): string[] {
  if (!union) return [];
  // Compared by content: a precompiled validator's branch need not be the very object of the union's list.
  const failed = JSON.stringify(e.parentSchema);
  const branches = ((union.schema as Array<ExpectedValue & { const?: unknown }> | undefined) ?? []).filter((b) => JSON.stringify(b) !== failed);
  return branches.map((b) => b.description ?? (b.const !== undefined ? JSON.stringify(b.const) : TYPE_WORDS[b.type ?? ''] ?? 'another value'));
}
