import { hostProblemOf, PlanningError, RemoteCommandError } from '../errors/index.js';
import { becomeFor } from './become.js';
import { appliesTo, type LoadedPlaybook } from '../playbooks/load.js';
import { instantiate, type Handler, type Secrets } from '../playbooks/instantiate.js';
import { restartsCoveredByStart } from './restart-covered-by-start.js';
import { retiredEntries, stillManaged } from '../playbooks/retired-entries.js';
import { sparingWritten, type RecordedKernel } from '../playbooks/retired-kernel.js';
import type { Change } from '../plan/change.js';
import { PLAN_FORMAT, type HostPlan, type Plan } from '../plan/plan.js';
import type { PlanContext, Resource } from '../resources/resource.js';
import type { BatchShell } from '../resources/batch-shell.js';
import { templateContext, type FactReads, type TemplateContext } from '../templates/render.js';
import type { Grid } from '../topology/model.js';
import type { ConnectedHost, UnreachableHost } from '../transport/fleet.js';
import type { HostSession } from '../facts/host-session.js';
import { parseFacts } from '../facts/gather.js';
import { readScript, type FactsScope, type ReadOutput } from './read-script.js';
import { FileReadMismatch } from '../resources/file-reads.js';
import type { HostFacts } from '../facts/host-facts.js';
import { GRIDOPS_VERSION } from '../version.js';
import { electInitial } from '../overlay/initial-election.js';
import { AGENT_UNIT, runsAgent } from '../overlay/agent-hosts.js';
import { isAgentPlaybook } from '../topology/agent-playbook.js';
import { SystemdUnitResource } from '../resources/systemd-unit.js';
import { AbsentPathsResource } from '../resources/absent-paths.js';
import { SandboxEgressResource } from '../resources/sandbox-egress.js';
import type { HeldRead } from '../transport/held-read.js';
import type { EntriesByPlaybook } from '../state/state.js';
import { NO_BIRTHS, type GroupBirths } from '../state/group-births.js';
import type { BootstrapElectorate } from '../templates/bootstrap-electorate.js';
import { readWithoutShell } from './read-without-shell.js';
import { servableProbes } from '../resources/file-queries.js';
import { refuseOverlappingWrites, type PlacedResource } from './overlapping-writes.js';

/** A host's plan together with the live resources that can carry it out. */
export interface PlannedHost {
  session: HostSession;
  plan: HostPlan;
  resources: Map<string, Resource>;
  handlers: Handler[];
  /** The systemd units this run manages on the host (the overlay asks whether one is gridagent's). */
  managedUnits: ReadonlySet<string>;
  /** What each playbook of the run declares in its own `sysctl` and `kernel-module` entries here (the state records it: retired-entries.ts). */
  kernelEntries: EntriesByPlaybook;
  /** The bootstrap electorate a template of the run rendered for the host, if one read it (record-state keeps it: state/group-births.ts). */
  bootstrap?: BootstrapElectorate;
  /** The read's session, still waiting for this host's batch (an apply's read with `hold`; transport/held-read.ts). */
  held?: HeldRead;
  /** What the held read's shell offers its batch: its umask, `rename.ul` (ReadOutput.shell). */
  heldShell?: BatchShell;
  /** The host was read without a shell (read-without-shell.ts), for the profile. */
  readWithoutShell?: boolean;
}

/** A host's plan; `planned` (the live resources that can carry it out) is absent when planning failed. */
export interface HostPlanning {
  plan: HostPlan;
  planned?: PlannedHost;
}

/**
 * Reads the real state of one connected host and computes its changes: facts and every
 * resource's probe in one round trip. Never throws: a planning problem becomes the host's
 * `plan.error`. Changes nothing: no resource ever gets a StepRecorder here. With `hold`, the
 * read's shell comes back waiting in `planned.held`, even when there is nothing to change: the
 * caller ends it (phases/connect-and-read.ts closes the connection or releases it).
 */
export async function planHost(grid: Grid, host: ConnectedHost, playbooks: readonly LoadedPlaybook[], secrets: Secrets = {}, births: GroupBirths = NO_BIRTHS, options: PlanHostOptions = {}): Promise<HostPlanning> {
  const reading: Reading = { hold: options.hold ?? false, withoutShell: options.withoutShell ?? false };
  try {
    const planned = await computeHostPlan(grid, host, playbooks, secrets, births, reading, { previousKernel: options.previousKernel, previousEntries: options.previousEntries, workflowRun: options.workflowRun ?? false, replacedNetwork: options.replacedNetwork, pendingHandlers: options.pendingHandlers });
    if (reading.withoutShellServed) planned.readWithoutShell = true;
    // Even with nothing to change: the caller ends that shell, with the connection when the run
    // needs no more of the host (phases/connect-and-read.ts).
    if (reading.held) planned.held = reading.held;
    if (reading.held && reading.heldShell) planned.heldShell = reading.heldShell;
    return { plan: planned.plan, planned };
  } catch (err) {
    reading.held?.release();
    return { plan: { host: host.node.name, address: host.node.address, playbooks: playbooks.map((p) => p.ref), changes: [], notes: [], handlers: [], error: errorOf(err, 'planning', host.node.name) } };
  }
}

/**
 * `hold`: keep the read's shell for the host's batch (an apply). `withoutShell`: read the host
 * without a shell where its probes allow (read-without-shell.ts); a held read is then not to be had,
 * so an apply asks it for hosts it expects to find in sync. `previousKernel`: the host's kernel
 * settings as the state recorded them, whose dropped items are swept (playbooks/retired-kernel.ts).
 * `previousEntries`: the playbooks' own kernel entries the state recorded, swept when dropped; with
 * `workflowRun` (the grid's workflow, no `--playbook`) also those of a playbook the host no longer
 * runs (playbooks/retired-entries.ts). `replacedNetwork`: the grid network gridops made that this
 * run removes first (PlanContext.replacedNetwork). `pendingHandlers`: the handlers a failed run
 * left owed on the host (HostState.pendingHandlers), which the plan runs even where no change
 * notifies them.
 */
export interface PlanHostOptions {
  hold?: boolean;
  withoutShell?: boolean;
  previousKernel?: RecordedKernel;
  previousEntries?: EntriesByPlaybook;
  workflowRun?: boolean;
  replacedNetwork?: string;
  pendingHandlers?: readonly string[];
}

/** What the state recorded that a host's plan sweeps when the configuration dropped it, replaces, or still owes. */
interface Recorded {
  previousKernel?: RecordedKernel;
  previousEntries?: EntriesByPlaybook;
  workflowRun: boolean;
  replacedNetwork?: string;
  pendingHandlers?: readonly string[];
}

/** How one host's reads go, and what they left: the held shell, whether one was served without a shell. */
interface Reading {
  hold: boolean;
  withoutShell: boolean;
  held?: HeldRead;
  heldShell?: BatchShell;
  withoutShellServed?: boolean;
}

/**
 * The whole plan, hosts in topology order, unreachable ones included with their error. `births`:
 * what the state knows already ran and elected (connect-and-read reads it once), so the plan elects
 * only the first elections this run starts.
 */
export function assemblePlan(grid: Grid, hosts: readonly HostPlanning[], unreachable: readonly UnreachableHost[], workflow: { refs: readonly string[]; adHoc: boolean }, births: GroupBirths = NO_BIRTHS): Plan {
  const hostPlans = new Map<string, HostPlan>(hosts.map((h) => [h.plan.host, h.plan]));
  for (const u of unreachable) hostPlans.set(u.node.name, { host: u.node.name, address: u.node.address, playbooks: [], changes: [], notes: [], handlers: [], error: errorOf(u.error, 'unreachable', u.node.name) });
  // Topology order, then any host the topology does not have (a node being decommissioned).
  const inTopology = grid.regions.flatMap((r) => r.subgrids.flatMap((s) => s.nodes.map((n) => n.name)));
  const order = [...inTopology, ...[...hostPlans.keys()].filter((n) => !inTopology.includes(n))];
  const planned = hosts.flatMap((h) => (h.planned ? [h.planned] : []));
  const agents = planned.filter((p) => runsAgent({ facts: p.session.facts, managedUnits: p.managedUnits }));
  // The first elections this run starts are where it manages gridagent.service; on a node it could
  // not reach it would, if its workflow has the agent playbook (the next run does).
  const deploysAgent = workflow.refs.some((ref) => isAgentPlaybook({ ref }));
  const startsAgent = new Set([...planned.filter((p) => p.managedUnits.has(AGENT_UNIT)).map((p) => p.session.node.name), ...(deploysAgent ? unreachable.map((u) => u.node.name) : [])]);
  // The nodes this run selected (--limit): every one it planned, reached or not.
  const election = agents.length ? electInitial(grid, new Map(planned.map((p) => [p.session.node.name, p.session.facts])), { selected: new Set(hostPlans.keys()), startsAgent, recorded: births }) : undefined;
  return {
    format: PLAN_FORMAT,
    createdAt: new Date().toISOString(),
    gridopsVersion: GRIDOPS_VERSION,
    topology: { file: grid.file, grid: grid.name, sourceHash: grid.sourceHash },
    playbooks: [...workflow.refs],
    adHocPlaybooks: workflow.adHoc,
    hosts: order.filter((n) => hostPlans.has(n)).map((n) => hostPlans.get(n)!),
    ...(election ? { election } : {}),
  };
}

/** A host's error in its plan, whose `host` already names it. */
function errorOf(err: unknown, kind: 'planning' | 'unreachable', host: string): NonNullable<HostPlan['error']> {
  const { message, hint } = hostProblemOf(host, err);
  return { kind, message, ...(hint ? { hint } : {}) };
}

/** `births`: what the state knows of the first bootstraps (templateContext: who is born in one). */
async function computeHostPlan(grid: Grid, host: ConnectedHost, playbooks: readonly LoadedPlaybook[], secrets: Secrets, births: GroupBirths, reading: Reading, recorded: Recorded): Promise<PlannedHost> {
  const { node } = host;
  // What to probe does not depend on facts, so facts and every probe share one round trip; then,
  // if the first rendering read a value the facts change, the resources are made again with the
  // facts, and any whose probe changed is read once more. Facts no resource or template uses are
  // not gathered (the agent's version always is).
  const reads: FactReads = { hostFacts: false, agentVersion: false };
  const probed = instantiateAll(node.name, playbooks, templateContext(grid, node, undefined, births, reads), secrets, recorded);
  // A template that read the bootstrap electorate may branch on it, and the branch it takes once the
  // agent's version is known may read other facts: all of them, then.
  const rendersFacts = reads.hostFacts || reads.agentVersion;
  const scope = rendersFacts || [...probed.resources.values()].some((r) => !r.ignoresFacts) ? 'all' : 'agent';
  const { facts, outputs } = await readHost(host, [...probed.resources.values()], scope, reading);
  const rendered = templateContext(grid, node, facts, births);
  const { resources, handlers, kernelEntries } = rendersFacts ? instantiateAll(node.name, playbooks, rendered, secrets, recorded) : probed;
  const stale = [...resources.values()].filter((r) => probed.resources.get(r.id)?.probe() !== r.probe());
  if (stale.length) for (const [id, out] of (await readHost(host, stale, 'agent', { hold: false, withoutShell: reading.withoutShell })).outputs) outputs.set(id, out);
  const session: HostSession = { ...host, facts };
  const ctx: PlanContext = { node, facts, lines: new Map(), ...(recorded.replacedNetwork === undefined ? {} : { replacedNetwork: recorded.replacedNetwork }) };
  const changes: Change[] = [];
  const notes: Change[] = [];
  for (const [id, resource] of resources) {
    const change = resource.diff(outputs.get(id) ?? '', ctx);
    if (!change) continue;
    (change.action === 'none' ? notes : changes).push(change);
  }
  const notified = [...new Set(changes.flatMap((c) => c.notify ?? []))];
  for (const name of notified) if (!handlers.some((h) => h.name === name)) throw new PlanningError(`${node.name}: a change notifies handler "${name}", which no playbook defines`, 'add it under `handlers:` in the playbook');
  // Owed by a failed run whose changes notified them and are in place now: they run whether a
  // change of this plan notifies them again or not (that change may be refused, or fail), so each
  // owed one the playbooks define is listed, and the applier runs it even then. One no playbook of
  // this run defines (a `--playbook` run of others) stays owed in the state until a run that has it
  // (phases/pending-handlers.ts). All run in the order the playbooks define them.
  const pending = [...new Set(recorded.pendingHandlers ?? [])].filter((name) => handlers.some((h) => h.name === name));
  const covered = restartsCoveredByStart(changes, handlers, notified, pending);
  for (const c of changes) if (c.notify?.some((name) => covered.has(name))) c.notify = c.notify.filter((name) => !covered.has(name));
  const planHandlers = [...new Set(handlers.map((h) => h.name))].filter((name) => (notified.includes(name) && !covered.has(name)) || pending.includes(name));
  const handlerCommands = Object.fromEntries(planHandlers.map((name) => [name, handlers.find((h) => h.name === name)!.command]));
  const managedUnits = new Set([...resources.values()].flatMap((r) => (r instanceof SystemdUnitResource ? [r.unit] : [])));
  // Only when a template read it: a run without the agent's templates writes no bootstrap file.
  const bootstrap = reads.agentVersion ? rendered.agent.bootstrap : undefined;
  return { session, resources, handlers, managedUnits, kernelEntries, ...(bootstrap ? { bootstrap } : {}), plan: { host: node.name, address: node.address, playbooks: playbooks.map((p) => p.ref), changes, notes, handlers: planHandlers, ...(planHandlers.length ? { handlerCommands } : {}), ...(pending.length ? { pendingHandlers: pending } : {}) } };
}

function instantiateAll(nodeName: string, playbooks: readonly LoadedPlaybook[], tctx: TemplateContext, secrets: Secrets, recorded: Recorded): { resources: Map<string, Resource>; handlers: Handler[]; kernelEntries: EntriesByPlaybook } {
  const resources = new Map<string, Resource>();
  const handlers: Handler[] = [];
  const kernelEntries: EntriesByPlaybook = {};
  const notApplying = new Set<string>();
  const placed: PlacedResource[] = [];
  for (const playbook of playbooks) {
    const made = instantiate(playbook, tctx, secrets, recorded.previousKernel);
    kernelEntries[playbook.ref] = made.entries;
    if (!appliesTo(playbook, tctx.node.settings)) notApplying.add(playbook.ref);
    add(made.resources, playbook.name);
    placed.push(...made.resources.map((resource, i) => ({ resource, playbook: playbook.name, index: made.origins[i]! })));
    handlers.push(...made.handlers);
  }
  refuseOverlappingWrites(nodeName, placed);
  const managed = stillManaged(recorded.previousEntries, kernelEntries, recorded.workflowRun);
  const sweep = retiredEntries(recorded.previousEntries, kernelEntries, { workflowRun: recorded.workflowRun, kernel: tctx.node.settings.kernel, notApplying, managed });
  if (sweep.length) {
    // A path the topology's own sweep already removes is listed once, with the topology's reason.
    const sweptAlready = new Set([...resources.values()].flatMap((r) => (r instanceof AbsentPathsResource ? r.retiredPaths : [])));
    add(sweep.flatMap((r) => r.without(sweptAlready) ?? []), 'retired entries');
  }
  return { resources: sparingWritten(resources, managed), handlers, kernelEntries };

  function add(made: readonly Resource[], playbook: string): void {
    for (const r of made) {
      // A second `sysctls` entry with no key left sweeps the same files: once.
      if (resources.has(r.id) && r instanceof AbsentPathsResource && r.sweeps) continue;
      // hypervisor and qos both hold the sandbox VM's egress, from the same setting: once.
      if (resources.has(r.id) && r instanceof SandboxEgressResource) continue;
      if (resources.has(r.id)) throw new PlanningError(`${nodeName}: two resources manage ${r.id}`, `remove one of them from playbook ${playbook}`);
      resources.set(r.id, r);
    }
  }
}

/**
 * Gathers facts, the files the probes ask for, and every resource's probe in one script
 * (read-script.ts). The script only reads, so it runs without the remote `timeout` wrapper
 * (`readOnly`: one exec and one fork fewer per host). `reading.hold`: an apply's read, held for
 * the host's batch where the transport can (its `held`). `reading.withoutShell`: first try
 * reading the host without a shell (read-without-shell.ts), where the facts wanted are the
 * agent's version alone.
 */
async function readHost(host: ConnectedHost, resources: readonly Resource[], facts: FactsScope, reading: Reading, ownRead?: ReadonlySet<string>): Promise<{ facts: HostFacts; outputs: Map<string, string> }> {
  const become = becomeFor(host.node, host.transport);
  // As the login user only: through sudo, files may read otherwise (the transports refuse too).
  const asUser = !become || (host.transport.loginUser ?? host.node.settings.ssh.user) === 'root';
  const probes = resources.map((r) => r.probe());
  // Only the agent's facts and as the login user can a read go without a shell (read-without-shell.ts).
  const shellFree = asUser && facts === 'agent' && !ownRead;
  if (reading.withoutShell && shellFree) {
    const served = await readWithoutShell(host.transport, probes, { become, timeoutMs: 60_000 });
    if (served) {
      reading.withoutShellServed = true;
      return { facts: served.facts, outputs: new Map(resources.map((r, i) => [r.id, served.outputs[i]!])) };
    }
  }
  const read = readScript(
    resources.map((r, i) => ({ probe: probes[i]!, sharesShell: r.probeSharesShell })),
    { facts, ...(ownRead ? { ownRead } : {}) },
  );
  // Whether a later run could read this host without a shell, as the branch above (asked by the keeper alone).
  const laterWithoutShell = () => shellFree && servableProbes(probes) !== undefined;
  const held = reading.hold && host.transport.execHeld ? await host.transport.execHeld(read.script, { become, timeoutMs: 60_000, laterWithoutShell }) : undefined;
  if (held) reading.held = held;
  const result = held ? held.result : await host.transport.exec(read.script, { become, timeoutMs: 60_000, readOnly: true });
  let parsed: ReadOutput;
  let gathered: HostFacts;
  try {
    parsed = read.parse(result.stdout);
  } catch (err) {
    // A batch whose content did not add up (a /sys file's size, a file changed meanwhile): once
    // more, with those files read one by one (and that read held instead).
    // Each time with every file that did not add up so far read on its own, while that list grows.
    const again = err instanceof FileReadMismatch ? new Set([...(ownRead ?? []), ...err.paths]) : undefined;
    if (again && again.size > (ownRead?.size ?? 0)) {
      held?.release();
      return readHost(host, resources, facts, reading, again);
    }
    throw new RemoteCommandError(host.node.name, `reading facts and current state (${(err as Error).message})`, result.code, result.stderr);
  }
  if (held && parsed.shell) reading.heldShell = parsed.shell;
  try {
    gathered = parseFacts(parsed.factsOutput);
  } catch (err) {
    throw new RemoteCommandError(host.node.name, `gathering facts (${(err as Error).message})`, result.code, result.stderr);
  }
  return { facts: gathered, outputs: new Map(resources.map((r, i) => [r.id, parsed.outputs[i]!])) };
}
