import type { PlannedHost } from '../engine/planner.js';
import type { RunContext } from './run-context.js';

/**
 * `--site` without `--allow-existing-changes`: the run applies only the new site's nodes, whose
 * agents are new. With `--allow-existing-changes` the existing hosts are applied too, in one batch.
 */
export function onlyTheSite(ctx: Pick<RunContext, 'site' | 'options'>): boolean {
  return ctx.site !== undefined && !ctx.options.allowExistingChanges;
}

/**
 * The planned hosts a run without `--rolling` applies in one go, whose agent restarts the plan's
 * "agents restarted at once" line judges (agent-restarts-at-once.ts): none with `--rolling`, which
 * restarts them a batch at a time; with only a site, that site's hosts (the rest is not applied),
 * so a site that names sub-grids already running is said too (check-site then refuses it); else
 * every planned host. The batch strategy (choose-batch-strategy.ts) applies these very hosts.
 */
export function hostsRestartedTogether(ctx: Pick<RunContext, 'site' | 'options' | 'planned'>): PlannedHost[] {
  if (ctx.options.rolling === true) return [];
  return onlyTheSite(ctx) ? ctx.planned.filter((p) => ctx.site!.has(p.session.node.name)) : ctx.planned;
}
