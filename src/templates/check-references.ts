import Handlebars from 'handlebars';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Problem } from '../errors/problem.js';
import { suggest } from '../topology/schema-check.js';
import { CONTEXT_SHAPE, UNKNOWN, VALUE, type Shape } from './context-shape.js';
import { TEMPLATE_HELPERS } from './render.js';

/**
 * Checks every `{{...}}` of a playbook string or a template against what TemplateContext offers
 * (context-shape.ts), from handlebars' AST, without rendering. Rendering finds a typo only on a
 * host, after every connection, with handlebars' bare message; and a typo in a helper's argument
 * (`{{json node.nmae}}`, `{{#if node.lables}}`) is not even an error there: it renders as null or false.
 * What cannot be known statically (the body of an unknown block, `lookup`'s result) is accepted.
 */

/** One unknown reference, at its line and column (1-based) in the string or template. */
export interface ReferenceProblem {
  line: number;
  column: number;
  /** The reference as written, e.g. `node.nmae`. */
  reference: string;
  message: string;
  hint: string;
}

/** What a name resolves against: `at` is how messages spell the path to it (empty at the top of a context). */
interface Context {
  shape: Shape;
  at: string;
  /** What to call it when `at` is empty. */
  label: string;
}

interface Scope {
  /** The contexts `../` climbs through, innermost last; #if and #unless add none, as in handlebars. */
  contexts: Context[];
  /** Block parameters (`as |item i|`) in reach. */
  params: Map<string, Context>;
  /**
   * Inside a block whose context cannot be known (a section, an unknown helper): how many of the
   * innermost contexts are still known (those of #each and #with opened inside it). Names that
   * reach further are accepted; block parameters and @root are still checked.
   */
  known?: number;
}

const ROOT: Context = { shape: CONTEXT_SHAPE, at: '', label: 'the template context' };
/** handlebars' own test for a path that skips block parameters (`this.x`, `./x`). */
const SCOPED = /^\.|this\b/;
/** The helpers worth suggesting; the others (helperMissing, log...) are handlebars' plumbing. */
const SUGGESTED_HELPERS = ['json', 'jsonLine', 'if', 'unless', 'each', 'with', 'lookup'].filter((h) => TEMPLATE_HELPERS.has(h));

type Expression = hbs.AST.Expression;
type Call = { path: hbs.AST.PathExpression | hbs.AST.Literal; params: Expression[]; hash?: hbs.AST.Hash };

class Checker {
  readonly problems: ReferenceProblem[] = [];

  program(program: hbs.AST.Program | undefined, scope: Scope): void {
    for (const statement of program?.body ?? []) this.statement(statement, scope);
  }

  private statement(s: hbs.AST.Statement, scope: Scope): void {
    switch (s.type) {
      case 'MustacheStatement':
        this.call(s as hbs.AST.MustacheStatement, scope);
        return;
      case 'BlockStatement':
        this.block(s as hbs.AST.BlockStatement, scope);
        return;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        // gridops registers no partials: rendering would throw "The partial ... could not be found".
        this.report(s.loc, '>', 'partials are not available in gridops templates', 'write the text in the template itself');
        return;
      default:
        // Content and comments; decorators are not used by gridops and left alone.
        return;
    }
  }

  /** A mustache or sub-expression: a plain reference, or a helper with arguments. */
  private call(c: Call, scope: Scope): Shape {
    if (c.params.length === 0 && !c.hash?.pairs.length) return c.path.type === 'PathExpression' ? this.path(c.path as hbs.AST.PathExpression, scope) : VALUE;
    this.helper(c.path);
    for (const param of c.params) this.expression(param, scope);
    for (const pair of c.hash?.pairs ?? []) this.expression(pair.value, scope);
    return UNKNOWN;
  }

  private expression(e: Expression, scope: Scope): Shape {
    if (e.type === 'PathExpression') return this.path(e as hbs.AST.PathExpression, scope);
    if (e.type === 'SubExpression') return this.call(e as hbs.AST.SubExpression, scope);
    return VALUE;
  }

  /** The name a call with arguments invokes must be a registered helper (strict rendering throws "Missing helper" otherwise). */
  private helper(path: hbs.AST.PathExpression | hbs.AST.Literal): string | undefined {
    const p = path as hbs.AST.PathExpression;
    const name = path.type === 'PathExpression' && !p.data && p.depth === 0 && p.parts.length === 1 && !SCOPED.test(p.original) ? p.parts[0]! : undefined;
    if (name !== undefined && TEMPLATE_HELPERS.has(name)) return name;
    const written = p.original ?? String((path as hbs.AST.StringLiteral).value);
    const guess = suggest(written, SUGGESTED_HELPERS);
    this.report(path.loc, written, `"${written}" is not a helper${guess ? `; did you mean ${guess}?` : ''}`, `only helpers take arguments; the helpers are ${SUGGESTED_HELPERS.join(', ')}`);
    return undefined;
  }

  private block(b: hbs.AST.BlockStatement, scope: Scope): void {
    const hasArgs = b.params.length > 0 || Boolean(b.hash?.pairs.length);
    if (!hasArgs) {
      // A mustache section (`{{#node.labels}}`): its body's context depends on the value at render time.
      if (!TEMPLATE_HELPERS.has(b.path.original)) this.path(b.path, scope);
      this.program(b.program, uncertain(scope));
      this.program(b.inverse, scope);
      return;
    }
    const name = this.helper(b.path);
    const args = b.params.map((p) => this.expression(p, scope));
    for (const pair of b.hash?.pairs ?? []) this.expression(pair.value, scope);
    const first = args[0] ?? UNKNOWN;
    const what = b.params[0]?.type === 'PathExpression' ? (b.params[0] as hbs.AST.PathExpression).original : 'the argument';
    if (name === 'if' || name === 'unless') {
      this.program(b.program, scope);
    } else if (name === 'each') {
      const item = first.kind === 'list' ? first.items : first.kind === 'map' ? first.values : UNKNOWN;
      this.program(b.program, inner(scope, { shape: item, label: `an item of ${what}` }, b.program, [item, VALUE]));
    } else if (name === 'with') {
      this.program(b.program, inner(scope, { shape: first, label: what }, b.program, [first]));
    } else {
      this.program(b.program, uncertain(scope));
    }
    this.program(b.inverse, scope);
  }

  /** Resolves a path against its context, reporting the first part that is not there; returns what it names. */
  private path(p: hbs.AST.PathExpression, scope: Scope): Shape {
    let start: Context;
    let parts = p.parts;
    if (p.data) {
      // @index, @key, @first, @last are values; @root is the whole context.
      if (parts[0] !== 'root') return ['index', 'key', 'first', 'last'].includes(parts[0]!) ? VALUE : UNKNOWN;
      start = { ...ROOT, at: '@root' };
      parts = parts.slice(1);
    } else if (p.depth === 0 && !SCOPED.test(p.original) && scope.params.has(parts[0]!)) {
      start = scope.params.get(parts[0]!)!;
      parts = parts.slice(1);
    } else if (scope.known !== undefined && p.depth >= scope.known) {
      return UNKNOWN;
    } else {
      const context = scope.contexts[scope.contexts.length - 1 - p.depth];
      if (!context) {
        this.report(p.loc, p.original, `${p.original} climbs above the template context`, 'use one ../ per enclosing #each or #with, or @root.NAME');
        return UNKNOWN;
      }
      start = context;
    }
    let shape = start.shape;
    let at = start.at;
    for (const part of parts) {
      const owner = at || start.label;
      const below = (name: string) => (at ? `${at}.${name}` : name);
      const inBlock = start !== ROOT && !at.startsWith('@root') ? `; inside #each and #with names are the block's, the whole context is @root (@root.node.name)` : '';
      if (shape.kind === 'unknown') return UNKNOWN;
      if (shape.kind === 'map') shape = shape.values;
      else if (shape.kind === 'list') {
        if (part === 'length') shape = VALUE;
        else if (/^\d+$/.test(part)) shape = shape.items;
        else {
          this.report(p.loc, p.original, `${owner} is a list`, `take one item (${below('[0]')}.${part}) or go through them with {{#each ${at || 'this'}}}`);
          return UNKNOWN;
        }
      } else if (shape.kind === 'value') {
        this.report(p.loc, p.original, `${owner} is a value, with no fields`, `write {{${at}}}`);
        return UNKNOWN;
      } else {
        const next = Object.hasOwn(shape.fields, part) ? shape.fields[part] : undefined;
        if (!next) {
          const names = Object.keys(shape.fields);
          const guess = suggest(part, names);
          this.report(p.loc, p.original, `${owner} has no "${part}"${guess ? `; did you mean ${below(guess)}?` : ''}`, `${owner} has: ${names.join(', ')}${inBlock}`);
          return UNKNOWN;
        }
        shape = next;
      }
      at = below(part);
    }
    return shape;
  }

  private report(loc: hbs.AST.SourceLocation | undefined, reference: string, why: string, hint: string): void {
    const line = loc?.start.line ?? 1;
    const column = (loc?.start.column ?? 0) + 1;
    this.problems.push({ line, column, reference, message: `unknown reference {{${reference}}}: ${why}`, hint });
  }
}

/** The scope of a block's body: `context` pushed (so `../` climbs out of it), its block parameters bound. */
function inner(scope: Scope, context: { shape: Shape; label?: string }, program: hbs.AST.Program | undefined, bound: Shape[] = []): Scope {
  const params = new Map(scope.params);
  (program?.blockParams ?? []).forEach((name, i) => params.set(name, { shape: bound[i] ?? UNKNOWN, at: name, label: name }));
  return { contexts: [...scope.contexts, { shape: context.shape, at: '', label: context.label ?? 'the block' }], params, ...(scope.known !== undefined ? { known: scope.known + 1 } : {}) };
}

/** A body whose context (and so what `../` reaches) depends on values at render time. */
function uncertain(scope: Scope): Scope {
  return { ...scope, known: 0 };
}

/** Results by source: a string is checked once however many playbooks, entries or hosts use it. */
const checked = new Map<string, ReferenceProblem[]>();

/**
 * The unknown references of a template source (a playbook string or a template file's text).
 * A source that does not parse yields its syntax error as the one problem.
 */
export function referenceProblems(source: string): ReferenceProblem[] {
  // Most playbook strings are literal: no parse for them.
  if (!source.includes('{{')) return [];
  let found = checked.get(source);
  if (found) return found;
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch (err) {
    const message = (err as Error).message;
    found = [{ line: Number(/on line (\d+)/.exec(message)?.[1] ?? 1), column: 1, reference: '', message: `template syntax error: ${message.split('\n').slice(0, 1).join('')}`, hint: message.split('\n').slice(1).join(' ').trim() || 'close every {{ with }} and every {{#block}} with {{/block}}' }];
    checked.set(source, found);
    return found;
  }
  const checker = new Checker();
  checker.program(ast, { contexts: [ROOT], params: new Map() });
  checked.set(source, checker.problems);
  return checker.problems;
}

/** Results by template path, with the sha256 of the text checked: a template that several playbooks name is read and checked once. */
const checkedFiles = new Map<string, { problems: Problem[]; sha256: string }>();

/** The unknown references of a template file (a path from findTemplate), at the template's own lines and columns. */
export function templateFileProblems(path: string): Problem[] {
  let found = checkedFiles.get(path);
  if (!found) {
    const bytes = readFileSync(path);
    const problems = referenceProblems(bytes.toString('utf8')).map((p) => ({ file: path, line: p.line, column: p.column, path: p.reference, message: p.message, hint: p.hint }));
    found = { problems, sha256: createHash('sha256').update(bytes).digest('hex') };
    checkedFiles.set(path, found);
  }
  return found.problems;
}

/**
 * The sha256 of the text templateFileProblems checked at `path` in this process, if it did: what a
 * cached playbook check is keyed by (playbooks/validated-cache.ts), so that an edit made between
 * the check's read and the entry's write is not recorded as checked.
 */
export function checkedTemplateHash(path: string): string | undefined {
  return checkedFiles.get(path)?.sha256;
}
