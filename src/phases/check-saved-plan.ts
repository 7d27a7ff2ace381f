import { StalePlanError, UsageError } from '../errors/index.js';
import { hostHasWork, planFingerprint, type Plan } from '../plan/plan.js';
import { replanCommand } from '../plan/replan-command.js';
import { playbookRef } from '../playbooks/load.js';
import { printableText } from '../text/printable-text.js';
import type { Grid } from '../topology/model.js';
import { limitSelectors } from '../topology/select.js';
import type { Phase } from './phase.js';
import { runFlagsOf, type RunFlags } from './run-flags.js';

/**
 * `apply --plan`: the saved plan fixes its playbooks and nodes, so a run may only be given the
 * plan's own (`gridops apply --plan` fills them in where its flags leave them out). Another set
 * would apply a plan nobody reviewed, or be ignored without a word. Checked first, before the
 * topology is read: a usage error, whatever else is wrong. In the workflow, not the command, so a
 * caller of runApply gets the same contract.
 */
export const checkSavedPlanFlags: Phase = {
  title: 'check the playbooks and nodes against the saved plan',
  shouldRun: (ctx) => ctx.options.savedPlan !== undefined,
  async run(ctx) {
    checkSavedPlaybooks(ctx.options.savedPlan!, ctx.options.playbooks);
    checkSavedLimit(ctx.options.savedPlan!, ctx.options.limit);
    checkSavedAllowOlderGridops(ctx.options.savedPlan!, ctx.options.allowOlderGridops === true);
  },
};

/**
 * `--playbook` beside `--plan`: the saved plan already names its playbooks, so the flag may only
 * repeat them, in their order (the order they run in); none is the grid's workflow.
 */
function checkSavedPlaybooks(plan: Plan, given: readonly string[] | undefined): void {
  const refs = given?.map((ref) => playbookRef(ref));
  const same = refs ? plan.adHocPlaybooks && refs.length === plan.playbooks.length && refs.every((ref, i) => ref === plan.playbooks[i]) : !plan.adHocPlaybooks;
  if (same) return;
  const asked = given ? `--playbook ${given.join(', ')}` : "no --playbook (the grid's workflow)";
  const made = plan.adHocPlaybooks ? `with --playbook ${plan.playbooks.join(', ')}` : "for the grid's workflow (no --playbook)";
  throw new UsageError(`${asked} does not match the saved plan, which was made ${made}`, 'a saved plan applies the playbooks it was made with: leave --playbook out, or make a new plan with the playbooks you want');
}

/** `--limit` beside `--plan`: only the plan's own selectors, in any order; none is every node. */
function checkSavedLimit(plan: Plan, given: readonly string[] | undefined): void {
  const key = (selectors: readonly string[]) => [...new Set(selectors)].sort().join('\n');
  const wanted = given ? limitSelectors(given) : [];
  if (key(wanted) === key(plan.limit ?? [])) return;
  const asked = given ? `--limit ${wanted.join(',')}` : 'no --limit (every node)';
  const made = plan.limit ? `with --limit ${plan.limit.join(',')}` : 'for every node (it records no --limit)';
  const older = plan.limit ? '' : ' (a plan made with --limit by a gridops that did not record it yet must be made again)';
  throw new UsageError(`${asked} does not match the saved plan, which was made ${made}`, `a saved plan applies to the nodes it was made for: leave --limit out, or make a new plan with the --limit you want${older}`);
}

/**
 * A plan made with `--allow-older-gridops` goes back to this older gridops on purpose: applying it
 * takes that consent again, given at apply time, rather than carried silently by a file. Asked
 * whether or not the state still says a newer gridops applied: the reviewed plan was made on that
 * consent. A plan made without it, applied with it, goes on as the flag says
 * (newer-gridops-state.ts checks the state anew).
 */
function checkSavedAllowOlderGridops(plan: Plan, given: boolean): void {
  if (!plan.allowOlderGridops || given) return;
  throw new UsageError(
    'the saved plan was made with --allow-older-gridops (going on where the state says a newer gridops applied hosts, back to this older gridops): apply --plan does not take that consent from the plan file; nothing was changed',
    'pass --allow-older-gridops again to apply it (the same command with --allow-older-gridops); or apply with the newer gridops that wrote the state',
  );
}

/**
 * `apply --plan`: a plan of another grid, or of this grid's topology before an edit, is refused as
 * soon as the topology is read, before the lock or any connection: the plan records its grid and
 * its topology's hash, so no host needs to be asked. Said as what it is (another grid is not a
 * changed topology), with the `gridops plan` that makes it again.
 */
export const checkSavedPlanTopology: Phase = {
  title: 'check the saved plan is of this topology',
  shouldRun: (ctx) => ctx.options.savedPlan !== undefined,
  async run(ctx) {
    assertPlanOfTopology(ctx.options.savedPlan!, ctx.grid, ctx.options.topologyFile, ctx.options.savedPlanFile, runFlagsOf(ctx.options));
  },
};

/**
 * `saved` was made from this grid's topology as it is now (its name and sha256), else a
 * StalePlanError naming what differs. The plan file's grid and file are shown escaped: a tampered
 * plan must not act on the terminal.
 */
export function assertPlanOfTopology(saved: Plan, grid: Pick<Grid, 'name' | 'sourceHash'>, topologyFile: string, planFile?: string, run: RunFlags = {}): void {
  if (saved.topology.grid !== grid.name) {
    const replan = replanCommand(saved, topologyFile, planFile, { ...run, otherGrid: true });
    const file = printableText(saved.topology.file);
    throw new StalePlanError(
      `this plan is for grid ${printableText(saved.topology.grid)} (from ${file}), not grid ${grid.name}; nothing was changed`,
      `make a plan of grid ${grid.name} with \`${replan}\`, review it, then apply it; or apply this plan with ${file}`,
    );
  }
  if (saved.topology.sourceHash !== grid.sourceHash) {
    const replan = replanCommand(saved, topologyFile, planFile, run);
    throw new StalePlanError(`the topology changed since the plan was saved: ${topologyFile}'s hash differs; nothing was changed`, `make a new plan with \`${replan}\`, review it, then apply it`);
  }
}

/**
 * `apply --plan`: the saved plan is applied only while the topology and every host still plan
 * exactly the same changes and handlers, with the same commands (README: the contract of a saved plan).
 */
export const checkSavedPlan: Phase = {
  title: 'check the saved plan against the hosts',
  shouldRun: (ctx) => ctx.options.savedPlan !== undefined,
  async run(ctx) {
    assertPlanStillValid(ctx.options.savedPlan!, ctx.plan, ctx.options.topologyFile, ctx.options.savedPlanFile, runFlagsOf(ctx.options));
  },
};

/**
 * A saved plan may only be applied while every host still plans the same changes and handlers
 * (planFingerprint); its topology was checked before any connection (checkSavedPlanTopology).
 */
function assertPlanStillValid(saved: Plan, fresh: Plan, topologyFile: string, planFile?: string, run: RunFlags = {}): void {
  const freshByHost = new Map(fresh.hosts.map((h) => [h.host, h]));
  const drifted = saved.hosts.filter((h) => {
    const now = freshByHost.get(h.host);
    return !now || planFingerprint(now) !== planFingerprint(h);
  });
  const added = fresh.hosts.filter((h) => !saved.hosts.some((s) => s.host === h.host) && hostHasWork(h));
  if (drifted.length || added.length) {
    const replan = replanCommand(saved, topologyFile, planFile, run);
    throw new StalePlanError(`hosts changed since the plan was saved: ${[...drifted, ...added].map((h) => h.host).join(', ')}; nothing was changed`, `make a new plan with \`${replan}\`, review it, then apply it`);
  }
}
