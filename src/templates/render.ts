import { plannedBootstrapScore } from '../overlay/initial-election.js';
import type { HostFacts } from '../facts/host-facts.js';
import Handlebars from 'handlebars';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { AGENT_VERSION } from '../agent/version.js';
import { quote } from '../transport/quote.js';
import { PlanningError } from '../errors/index.js';
import { readCommandTemplate, type CommandTemplate } from './command-template.js';
import { refusedCommandValue, substitutionPlaces, type SubstitutionPlace } from './refused-command-values.js';
import type { Grid, Node } from '../topology/model.js';
import { NO_BIRTHS, type GroupBirths } from '../state/group-births.js';
import { bootstrapElectorate, type BootstrapElectorate } from './bootstrap-electorate.js';
import { gridCpuQuotaPercent, gridMemoryMax } from './grid-slice-limits.js';

/** templates/ at the package root (the same relative path from src/ and from dist/). */
export const TEMPLATES_DIR = `${PACKAGE_ROOT}/templates/`;

/** Everything a playbook string or a template may substitute. */
export interface TemplateContext {
  grid: { name: string; labels: Record<string, string>; regions: Array<{ name: string; regionPeerName: string }> };
  region: { name: string; regionPeerName: string; subgridCount: number };
  /** `size` counts the sub-grid's nodes; `seeds` are HOST:PORT. */
  subgrid: { name: string; multicast: string; seeds: string[]; size: number };
  node: Node;
  /** The gridagent bundle shipped with this gridops. */
  agentBundle: { version: string };
  /** Agent settings derived from the topology (templates hold no logic). */
  /**
   * QoS settings as systemd wants them; `cpuQuotaPercent` counts 100 per CPU, so it needs the facts
   * (null before). `memorySwapMax` is 0 under a memory cap (grid work may not swap its way past
   * it), and on a hypervisor node whose memory controller is on cgroup v2 (sandboxSwapMax), else
   * no limit; it needs the facts on a hypervisor node without a cap (null before).
   */
  qos: { gridCpuPercent: number; cpuQuotaPercent: number | null; memoryMax: string; memorySwapMax: string | null };
  /**
   * Nothing here may depend on the grid's size or its list of regions, or growing the grid would
   * rewrite every agent's config: `bootstrap` goes to a create-only file, written once at birth.
   */
  agent: { superPeer: 'prefer' | 'auto' | 'never'; bootstrapScore: number | null; bootstrap: BootstrapElectorate };
}

/** Which facts a rendering read (a context made without facts records it: the planner then knows what to gather). */
export interface FactReads {
  /** A value derived from the host's facts (cores, memory): the full facts are needed. */
  hostFacts: boolean;
  /** The bootstrap electorate, which depends on the agent's version alone. */
  agentVersion: boolean;
}

/**
 * What templates and playbook strings may use. `facts` are the node's own, once read (the
 * planner renders first without them, to know what to probe, and again with them only when the
 * first rendering read a value they change: `reads`); values derived from them are null before.
 * `births`: what the state knows of the first bootstraps (state/group-births.ts), which decides
 * who is born in one (bootstrapElectorate); a node whose own facts show an agent counts as running one too.
 */
export function templateContext(grid: Grid, node: Node, facts?: HostFacts, births: GroupBirths = NO_BIRTHS, reads?: FactReads): TemplateContext {
  // A node being decommissioned carries the region and sub-grid it was recorded in, which the
  // topology may have dropped with it (a whole site removed): an empty group of that name then,
  // which the reset playbook, the only one such a node runs, does not read.
  const region = grid.regions.find((r) => r.name === node.region);
  const subgrid = region?.subgrids.find((s) => s.name === node.subgrid);
  let electorate: BootstrapElectorate | undefined;
  return {
    grid: { name: grid.name, labels: grid.labels, regions: grid.regions.map((r) => ({ name: r.name, regionPeerName: r.regionPeerName })) },
    region: region ? { name: region.name, regionPeerName: region.regionPeerName, subgridCount: region.subgrids.length } : { name: node.region, regionPeerName: '', subgridCount: 0 },
    subgrid: subgrid ? { name: subgrid.name, multicast: `${subgrid.multicast.group}:${subgrid.multicast.port}`, seeds: subgrid.seeds, size: subgrid.nodes.length } : { name: node.subgrid, multicast: '', seeds: [], size: 0 },
    node,
    agentBundle: { version: AGENT_VERSION },
    qos: {
      gridCpuPercent: node.settings.qos.gridCpuPercent,
      get cpuQuotaPercent() {
        if (reads) reads.hostFacts = true;
        return facts ? gridCpuQuotaPercent(node, facts) : null;
      },
      get memoryMax() {
        // Facts only under a cap: the node must have the memory controller to enforce it.
        if (reads && node.settings.qos.gridMemoryMiB !== undefined) reads.hostFacts = true;
        return gridMemoryMax(node, facts);
      },
      get memorySwapMax() {
        if (node.settings.qos.gridMemoryMiB !== undefined) return '0';
        if (!node.settings.hypervisor.enabled) return 'infinity';
        if (reads) reads.hostFacts = true;
        return facts ? sandboxSwapMax(facts) : null;
      },
    },
    agent: {
      superPeer: node.superPeer,
      get bootstrapScore() {
        if (reads) reads.hostFacts = true;
        return facts ? plannedBootstrapScore(facts, node.superPeer) : null;
      },
      // Computed when a template reads it (the agent's bootstrap.json): it lists the node's whole
      // sub-grid, so building it for every node of every playbook cost O(nodes^2) (0.23 s at 500).
      get bootstrap() {
        if (reads) reads.agentVersion = true;
        electorate ??= bootstrapElectorate(grid, node, facts?.agentVersion ? { ...births, withAgent: new Set([...births.withAgent, node.name]) } : births);
        return electorate;
      },
    },
  };
}

/**
 * grid.slice's swap limit on a hypervisor node without a memory cap. The sandbox VM runs in the
 * slice, and its own swap limit cannot keep it from swapping on cgroup v2: libvirt writes
 * `swap_hard_limit` to `memory.swap.max`, which there counts swap alone, and refuses one below the
 * hard limit, so the VM could push up to its hard limit into the owner's swap; the slice's 0 holds
 * it (and the rest of grid work). On v1 (and hybrid nodes, whose memory controller is on v1)
 * systemd has no swap setting, and libvirt's limit is `memory.memsw.limit_in_bytes`, memory plus
 * swap, equal to the hard limit: the VM cannot swap past that limit, so the slice stays unlimited
 * there, as before (a 0 would only rewrite the unit for a line systemd ignores).
 */
function sandboxSwapMax(facts: HostFacts): string {
  return facts.cgroup === 'v2' ? '0' : 'infinity';
}

/**
 * Where a playbook's `source` file lives: beside the playbook, else in the gridops package
 * (so `dist/gridagent.mjs` names the agent bundle). Undefined when neither exists.
 */
export function findSource(name: string, playbookFile: string): string | undefined {
  return firstExisting(`source\0${playbookFile}\0${name}`, [join(dirname(playbookFile), name), join(PACKAGE_ROOT, name)]);
}
/** Sources and templates found once, by playbook and name: every host looks them up. */
const foundFiles = new Map<string, string>();

/** The first of `candidates` that exists, remembered under `key` once found. */
function firstExisting(key: string, candidates: readonly string[]): string | undefined {
  const found = foundFiles.get(key) ?? candidates.find((p) => existsSync(p));
  if (found) foundFiles.set(key, found);
  return found;
}

/** Templates are text: no HTML escaping, and a missing value is an error rather than an empty string. */
const text = Handlebars.create();
// Formatting only, no logic: JSON-encode a value so any string lands intact in a JSON file.
text.registerHelper('json', (value: unknown) => new Handlebars.SafeString(JSON.stringify(value ?? null, null, 2)));
// The same on one line: JSON is YAML, so a value lands intact in a YAML file too.
text.registerHelper('jsonLine', (value: unknown) => new Handlebars.SafeString(JSON.stringify(value ?? null)));
/** Every helper templates may call: handlebars' own (each, if, with, lookup...) and the two above. */
export const TEMPLATE_HELPERS: ReadonlySet<string> = new Set(Object.keys(text.helpers));

/**
 * The substituteCommand call under way: handlebars hands escapeExpression the value alone, and a
 * command string holds only text and plain `{{path}}`s, which it renders in order, so the n-th
 * call is the n-th substitution. Rendering is synchronous: no other call can interleave.
 */
let commandRendering: { source: string; node: string; template: CommandTemplate; places: SubstitutionPlace[]; next: number } | null = null;

/** For `command` strings: every substituted value becomes one shell word through quote(), once refusedCommandValue allows it. */
const shell = Handlebars.create();
shell.Utils.escapeExpression = (value: unknown) => {
  const text = String(value ?? '');
  if (commandRendering) {
    const { source, node, template, places } = commandRendering;
    const n = commandRendering.next++;
    const refused = places[n] && refusedCommandValue(text, places[n]);
    if (refused) {
      const { start, end } = template.substitutions[n]!.mustache.loc;
      const lines = source.split('\n');
      const written = start.line === end.line ? lines[start.line - 1]!.slice(start.column, end.column) : '{{...}}';
      throw new PlanningError(`${node}: ${written} in \`${source}\` is ${JSON.stringify(text)}, ${refused.why}`, refused.hint);
    }
  }
  return quote(text);
};

const compiled = new Map<string, HandlebarsTemplateDelegate>();

function compile(engine: typeof Handlebars, key: string, source: string): HandlebarsTemplateDelegate {
  let t = compiled.get(key);
  if (!t) {
    t = engine.compile(source, { strict: true, noEscape: engine === text });
    compiled.set(key, t);
  }
  return t;
}

/**
 * A playbook string with `{{path}}` substituted verbatim. Most are literal (a path, a line): a
 * string without `{{` is its own rendering, and skipping handlebars for it spares a compile per
 * string and a helper set-up per host and string (12 ms of a 50-host run's CPU for the bench's 3 tasks).
 */
export function substitute(source: string, ctx: TemplateContext): string {
  return source.includes('{{') ? compile(text, `s:${source}`, source)(ctx) : source;
}

/** Each command string's reading and its substitutions' places, once: every host renders it. */
const commandTemplates = new Map<string, { template: CommandTemplate; places: SubstitutionPlace[] } | null>();

/**
 * A playbook command with every `{{path}}` substituted as a quoted shell word (a literal one as it
 * is). Throws a PlanningError naming the node and the command when a value cannot be one plain
 * word there (refused-command-values.ts: a leading `-` where it starts an argument, an array
 * subscript bash would expand).
 */
export function substituteCommand(source: string, ctx: TemplateContext): string {
  if (!source.includes('{{')) return source;
  let read = commandTemplates.get(source);
  if (read === undefined) {
    const template = readCommandTemplate(source);
    read = template && { template, places: substitutionPlaces(template) };
    commandTemplates.set(source, read);
  }
  commandRendering = read && { source, node: ctx.node.name, ...read, next: 0 };
  try {
    return compile(shell, `c:${source}`, source)(ctx);
  } finally {
    commandRendering = null;
  }
}

/**
 * Where a playbook's template lives: beside the playbook (`templates/NAME` next to it, as in an
 * Ansible role), else in gridops' own templates/. Undefined when neither exists.
 */
export function findTemplate(name: string, playbookFile: string): string | undefined {
  return firstExisting(`template\0${playbookFile}\0${name}`, [join(dirname(playbookFile), 'templates', name), `${TEMPLATES_DIR}${name}`]);
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
  // A literal string (most are) has nothing to parse.
  if (!source.includes('{{')) return null;
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
