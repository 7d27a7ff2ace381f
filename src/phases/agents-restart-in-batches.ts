import type { RunContext } from './run-context.js';

/**
 * `--site` without `--allow-existing-changes`: the run applies only the new site's nodes, whose
 * agents are new. With `--allow-existing-changes` the existing hosts are applied too, in one batch.
 */
export function onlyTheSite(ctx: Pick<RunContext, 'site' | 'options'>): boolean {
  return ctx.site !== undefined && !ctx.options.allowExistingChanges;
}

/**
 * Whether this run restarts no running agents at once: `--rolling` restarts them a batch at a
 * time, and a run of only a new site restarts none. The batch strategy (choose-batch-strategy.ts)
 * and the plan's "agents restarted at once" line decide it here, so they cannot disagree.
 */
export function agentsRestartInBatches(ctx: Pick<RunContext, 'site' | 'options'>): boolean {
  return ctx.options.rolling === true || onlyTheSite(ctx);
}
