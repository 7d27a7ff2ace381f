import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from '../package-root.js';
import { closest } from 'fastest-levenshtein';
import { InputFileError, ValidationError } from '../errors/index.js';
import { inputFileTroubleAt } from '../fs/input-file.js';
import { referenceProblems, templateFileProblems } from '../templates/check-references.js';
import { misplacedSubstitutions, type MisplacedSubstitution } from '../templates/misplaced-substitutions.js';
import { checkedFields, entryValueCheckAt, entryValueProblem } from './entry-values.js';
import { LIBVIRT_OBJECTS } from './libvirt-object-entry.js';
import { lineAttributeConflicts } from './line-attribute-conflicts.js';
import { lineValueProblems } from './line-values.js';
import { shellSyntaxProblems } from './shell-syntax.js';
import { entriesManagedTwice, entriesWritingOnePath } from './managed-twice.js';
import { findSource, findTemplate, substitutionProblem } from '../templates/render.js';
import type { Problem } from '../errors/problem.js';
import { makeSchemaChecker } from '../topology/schema-check.js';
import { builtinPlaybooks, FROM_CURRENT_DIRECTORY, playbookTarget, unknownPlaybook, type PlaybookBase } from '../topology/playbook-reference.js';
import { insideTagged, parseSource, pathToString, positionInString, positionOf, type PathSegment, type SourceDocument } from '../topology/source.js';
import type { EffectiveSettings } from '../topology/model.js';
import type { Playbook, PlaybookResource } from './schema.js';
import { cachedPlaybook, keepPlaybook, type ConsultedFiles } from './validated-cache.js';

export interface LoadedPlaybook extends Playbook {
  file: string;
  /** How a saved plan names it again: a built-in playbook's name, or the absolute path of any other. */
  ref: string;
  resources: PlaybookResource[];
}

/** Whether a playbook manages anything on a node with these settings (`onlyWhere`). */
export function appliesTo(playbook: Playbook, settings: EffectiveSettings): boolean {
  return playbook.onlyWhere !== 'hypervisor.enabled' || settings.hypervisor.enabled;
}

/** schema/playbook.schema.json, generated from schema.ts and kept equal by a test; reading it is cheaper than building TypeBox objects at start-up. */
export const PLAYBOOK_SCHEMA_FILE = `${PACKAGE_ROOT}/schema/playbook.schema.json`;
const published = JSON.parse(readFileSync(PLAYBOOK_SCHEMA_FILE, 'utf8')) as { playbook: object; kinds: Record<string, object> };
const checkPlaybook = makeSchemaChecker(published.playbook, 'playbook');
// A value of the wrong type in a field gridops checks beyond the schema gets that check's advice (an owner of 1000: a name).
const checkKind = Object.fromEntries(Object.entries(published.kinds).map(([k, s]) => [k, makeSchemaChecker(s, `kind:${k}`, { textCheck: (path) => entryValueCheckAt(k, path) })]));

/** What an empty playbook (or one that is not a mapping, an Ansible play list) is told to start with: followed literally, it validates. */
const PLAYBOOK_START = "start the file with `name: site` and `resources:`, a list of entries each naming a kind, e.g. `resources: [{ directory: { path: /srv/grid } }]`; see gridops' own playbooks/node-base.yaml";

/**
 * Parses and validates a playbook, with positions, like a topology; `consulted` says which
 * templates and sources the check looked up, and where it found them (its result depends on them).
 */
export function checkPlaybookText(file: string, text: string): { playbook?: LoadedPlaybook; problems: Problem[]; consulted: ConsultedFiles } {
  const consulted: ConsultedFiles = { templates: new Map(), sources: new Map(), shellParsedByDash: true };
  const { source, problems: parsed } = parseSource(file, text, PLAYBOOK_START);
  // No value: a syntax error, or not a mapping. Nothing more can be known from the file.
  if (source.value === undefined) return { problems: parsed, consulted };
  const checked = checkPlaybook(source);
  const value = source.value as Playbook;
  if (Array.isArray(value.resources)) {
    const sound = value.resources.map((entry, i) => {
      const own = checkEntry(source, entry as Record<string, unknown>, ['resources', i], consulted);
      checked.push(...own);
      return own.length === 0;
    });
    checked.push(...lineAttributeConflicts(source, value.resources));
    checked.push(...entriesManagedTwice(source, value.resources, (i) => sound[i]!));
    checked.push(...entriesWritingOnePath(source, value.resources, (i) => sound[i]!));
  }
  const commands: [PathSegment[], string][] = [];
  for (const [path, str] of strings(source.value, [])) {
    const why = substitutionProblem(str);
    if (why) checked.push(problem(source, path, why, 'write plain `{{node.name}}`-style substitutions; put logic in resources, not in strings'));
    else {
      // A typo in a reference would otherwise surface on every host, after connecting to all of them.
      for (const r of referenceProblems(str)) checked.push(problem(source, path, r.line > 1 ? `${r.message} (line ${r.line} of the string)` : r.message, r.hint));
      if (isCommand(path)) checked.push(...misplacedSubstitutions(str).map((m) => misplaced(source, text, path, str, m)));
      if (isCommand(path) && str.trim() !== '') commands.push([path, str]);
    }
  }
  // One `sh -n` for all of them (shell-syntax.ts): an unclosed quote would fail on every host, at apply.
  const shell = shellSyntaxProblems(commands.map(([, str]) => str));
  consulted.shellParsedByDash = shell.byDash;
  shell.problems.forEach((why, i) => {
    if (why) checked.push(problem(source, commands[i]![0], `this command is not valid sh: ${why}`, "close the quote, `$(`, parenthesis or here-document (its end word alone on a line); commands run under the host's /bin/sh (dash on Debian)"));
  });
  // A value written with a refused tag (a Buffer, a Set, a Date) fails these checks too: its tag says why.
  const found = [...parsed, ...checked.filter((p) => p.file !== file || !insideTagged(source, p.line, p.column))];
  // The playbook's own lines first, then those of the templates it names.
  const own = (p: Problem) => (p.file === file ? 0 : 1);
  if (found.length) return { problems: found.sort((a, b) => own(a) - own(b) || a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column), consulted };
  return { playbook: { ...value, file, ref: file } as LoadedPlaybook, problems: [], consulted };
}

function checkEntry(source: SourceDocument, entry: Record<string, unknown>, path: PathSegment[], consulted: ConsultedFiles): Problem[] {
  const keys = Object.keys(entry ?? {});
  const kinds = Object.keys(published.kinds);
  if (keys.length !== 1) return [problem(source, path, `a resource entry must have exactly one key, the kind (found ${keys.length})`, `kinds: ${kinds.join(', ')}`)];
  const kind = keys[0]!;
  if (!checkKind[kind]) return [problem(source, [...path, kind], `unknown resource kind "${kind}"; did you mean "${closest(kind, kinds)}"?`, `kinds: ${kinds.join(', ')}`, true)];
  const found = checkKind[kind]!(source, entry, path);
  const body = entry[kind] as { template?: string; content?: string; source?: string; secret?: string };
  // Only once the entry's keys are right: with a typo (`contnet`) the missing content is the same problem.
  if (kind === 'file' && body && typeof body === 'object' && found.length === 0) {
    const given = (['content', 'template', 'source', 'secret'] as const).filter((k) => body[k] !== undefined);
    if (given.length !== 1) found.push(problem(source, [...path, kind], `a file needs exactly one of content, template, source or secret (found ${given.length ? given.join(', ') : 'none'})`, 'keep one of them'));
  }
  if (kind === 'absent-libvirt' && body && typeof body === 'object' && found.length === 0) {
    const given = LIBVIRT_OBJECTS.filter((k) => (body as Record<string, unknown>)[k] !== undefined);
    if (given.length !== 1) found.push(problem(source, [...path, kind], `an absent-libvirt entry names exactly one of domain, network or pool (found ${given.length ? given.join(', ') : 'none'})`, 'one entry per object, e.g. - absent-libvirt: { domain: gridops-sandbox }'));
  }
  // A literal now; a substituted value once it is rendered for a node (instantiate.ts).
  if (found.length === 0) {
    for (const field of checkedFields(kind)) {
      const value = (body as Record<string, unknown>)[field];
      const verdict = typeof value === 'string' && !value.includes('{{') ? entryValueProblem(kind, field, value) : null;
      if (verdict) found.push(problem(source, [...path, kind, field], verdict.message, verdict.hint));
    }
  }
  if (kind === 'line' && body && typeof body === 'object' && found.length === 0) {
    for (const p of lineValueProblems(body as { line?: unknown; match?: unknown })) found.push(problem(source, [...path, kind, p.field], p.message, p.hint));
  }
  if (typeof body?.source === 'string') {
    const file = findSource(body.source, source.file);
    consulted.sources.set(body.source, file);
    if (!file) found.push(problem(source, [...path, kind, 'source'], `source ${body.source} not found beside the playbook or in the gridops package`, body.source.startsWith('dist/') ? 'build gridops first: npm run build' : 'fix the path'));
  }
  if (typeof body?.template === 'string') {
    const template = findTemplate(body.template, source.file);
    consulted.templates.set(body.template, template);
    if (!template) found.push(problem(source, [...path, kind, 'template'], `template ${body.template} not found in templates/`, "put it in a templates/ folder beside the playbook or in gridops' templates/, or fix the name"));
    else found.push(...templateFileProblems(template));
  }
  return found;
}

function problem(source: SourceDocument, path: PathSegment[], message: string, hint: string, key = false): Problem {
  return { file: source.file, ...positionOf(source, path, { key }), path: pathToString(path), message, hint };
}

/** The strings rendered as shell commands (substituteCommand in instantiate.ts): `run`, `unless`, `prestop`, a handler's `run`. */
function isCommand(path: readonly PathSegment[]): boolean {
  const [top, , kind, field] = path;
  if (top === 'handlers') return path.length === 3 && kind === 'run';
  return top === 'resources' && path.length === 4 && ((kind === 'command' && (field === 'run' || field === 'unless')) || (kind === 'absent-unit' && field === 'prestop'));
}

/** A misplaced substitution, at its own position in the file when the file writes it as it is. */
function misplaced(source: SourceDocument, text: string, path: PathSegment[], command: string, m: MisplacedSubstitution): Problem {
  const nth = command.slice(0, m.offset).split(m.written).length - 1;
  const at = positionInString(source, text, path, m.written, nth);
  return { file: source.file, ...at, path: pathToString(path), message: m.message, hint: m.hint };
}

function* strings(value: unknown, path: PathSegment[]): Generator<[PathSegment[], string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* strings(value[i], [...path, i]);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* strings(v, [...path, k]);
}

/** How a playbook is loaded: `cached`, from a check of the same text and files by the same build where one was kept (validated-cache.ts). */
export interface LoadOptions {
  cached?: boolean;
}

/**
 * Loads the playbook `ref` names (playbook-reference.ts: a file, or one of gridops' own by name;
 * a file's path made absolute so that a saved plan finds it again from any directory), throwing a
 * ValidationError with every problem, or an InputFileError when it names none or cannot be read.
 */
export function loadPlaybook(ref: string, base: PlaybookBase = FROM_CURRENT_DIRECTORY, options: LoadOptions = {}): LoadedPlaybook {
  const { file, builtin } = playbookTarget(ref, base);
  if (!file) {
    const { message, hint } = unknownPlaybook(ref, base);
    throw new InputFileError(message, hint);
  }
  const trouble = inputFileTroubleAt(file);
  if (trouble) throw new InputFileError(`playbook ${file} ${trouble.why}`, trouble.hint);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputFileError(`cannot read playbook ${file}`, unreadableHint(ref, base), { cause: err });
  }
  const playbook = (options.cached ? cachedPlaybook<LoadedPlaybook>(file, text) : undefined) ?? checkedPlaybook(file, text, options);
  return { ...playbook, ref: builtin ?? file };
}

/** The playbook checked in full, kept for the next run where `options.cached` asks for the cache; a ValidationError with every problem. */
function checkedPlaybook(file: string, text: string, options: LoadOptions): LoadedPlaybook {
  const { playbook, problems, consulted } = checkPlaybookText(file, text);
  if (!playbook) throw new ValidationError(problems, file);
  if (options.cached) keepPlaybook(file, text, playbook, consulted);
  return playbook;
}

/** What to do about a playbook file that cannot be read: check the path, or, for `qos.yaml`, name gridops' own without the extension. */
function unreadableHint(ref: string, base: PlaybookBase): string {
  const name = /^([^/]+)\.ya?ml$/.exec(ref)?.[1];
  const own = name !== undefined && builtinPlaybooks().includes(name) ? `; gridops' own ${name} is named without .yaml: ${name}` : '';
  return `check the path (relative to ${base.relativeTo})${own}`;
}

/** How a plan names the playbook `ref` names: a built-in's name, or an absolute path (from any directory); an unknown name as it is. */
export function playbookRef(ref: string, base: PlaybookBase = FROM_CURRENT_DIRECTORY): string {
  const { file, builtin } = playbookTarget(ref, base);
  return builtin ?? file ?? ref;
}
