import Handlebars from 'handlebars';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { quote } from '../transport/quote.js';
import type { Grid, Node } from '../topology/model.js';

/** templates/ at the package root (the same relative path from src/ and from dist/). */
export const TEMPLATES_DIR = `${PACKAGE_ROOT}/templates/`;

/** Everything a playbook string or a template may substitute. */
export interface TemplateContext {
  grid: { name: string };
  region: { name: string; regionPeerName: string };
  subgrid: { name: string; multicast: string; seeds: string[] };
  node: Node;
}

export function templateContext(grid: Grid, node: Node): TemplateContext {
  const region = grid.regions.find((r) => r.name === node.region)!;
  const subgrid = region.subgrids.find((s) => s.name === node.subgrid)!;
  return {
    grid: { name: grid.name },
    region: { name: region.name, regionPeerName: region.regionPeerName },
    subgrid: { name: subgrid.name, multicast: `${subgrid.multicast.group}:${subgrid.multicast.port}`, seeds: subgrid.seeds },
    node,
  };
}

/** Templates are text: no HTML escaping, and a missing value is an error rather than an empty string. */
const text = Handlebars.create();
// Formatting only, no logic: JSON-encode a value so any string lands intact in a JSON file.
text.registerHelper('json', (value: unknown) => new Handlebars.SafeString(JSON.stringify(value ?? null, null, 2)));

/** For `command` strings: every substituted value becomes one shell word through quote(). */
const shell = Handlebars.create();
shell.Utils.escapeExpression = (value: unknown) => quote(String(value ?? ''));

const compiled = new Map<string, HandlebarsTemplateDelegate>();

function compile(engine: typeof Handlebars, key: string, source: string): HandlebarsTemplateDelegate {
  let t = compiled.get(key);
  if (!t) {
    t = engine.compile(source, { strict: true, noEscape: engine === text });
    compiled.set(key, t);
  }
  return t;
}

/** A playbook string with `{{path}}` substituted verbatim. */
export function substitute(source: string, ctx: TemplateContext): string {
  return compile(text, `s:${source}`, source)(ctx);
}

/** A playbook command with every `{{path}}` substituted as a quoted shell word. */
export function substituteCommand(source: string, ctx: TemplateContext): string {
  return compile(shell, `c:${source}`, source)(ctx);
}

/**
 * Where a playbook's template lives: beside the playbook (`templates/NAME` next to it, as in an
 * Ansible role), else in gridops' own templates/. Undefined when neither exists.
 */
export function findTemplate(name: string, playbookFile: string): string | undefined {
  return [join(dirname(playbookFile), 'templates', name), `${TEMPLATES_DIR}${name}`].find((p) => existsSync(p));
}

/** A template file (a path from findTemplate), rendered with the context. */
export function renderTemplateFile(path: string, ctx: TemplateContext): string {
  const key = `f:${path}`;
  let t = compiled.get(key);
  if (!t) {
    t = text.compile(readFileSync(path, 'utf8'), { strict: true, noEscape: true });
    compiled.set(key, t);
  }
  return t(ctx);
}

/**
 * Why a playbook string is not plain substitution, or null. Only text and `{{a.b.c}}` are
 * allowed: no helpers, blocks, partials or triple-stash.
 */
export function substitutionProblem(source: string): string | null {
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch (err) {
    return `template syntax error: ${(err as Error).message.split('\n')[0]}`;
  }
  for (const statement of ast.body) {
    if (statement.type === 'ContentStatement' || statement.type === 'CommentStatement') continue;
    if (statement.type === 'MustacheStatement') {
      const m = statement as hbs.AST.MustacheStatement;
      if (m.path.type === 'PathExpression' && m.params.length === 0 && !m.hash && m.escaped) continue;
    }
    return 'only plain {{path}} substitution is allowed in playbook strings (no helpers, blocks or {{{ }}})';
  }
  return null;
}
