import { onlyTheSite } from './agents-restart-in-batches.js';
import type { RunContext } from './run-context.js';

/**
 * `apply --site` (not widened by --allow-existing-changes): the existing hosts, outside the new
 * site, that could not be reached. The run was never to touch them, so they do not make it
 * half-applied or failed (review B5); but whether they plan no change could not be checked, and
 * their agents are not asked, which the run says.
 */
export function unreachableOutsideSite(ctx: Pick<RunContext, 'site' | 'options' | 'unreachable'>): Set<string> {
  if (!onlyTheSite(ctx)) return new Set();
  return new Set(ctx.unreachable.map((u) => u.node.name).filter((name) => !ctx.site!.has(name)));
}
