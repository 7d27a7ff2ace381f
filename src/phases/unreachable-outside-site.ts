import { onlyTheSite } from './agents-restart-in-batches.js';
import type { RunContext } from './run-context.js';

/**
 * `apply --site` (not widened by --allow-existing-changes): the existing hosts, outside the new
 * site or of the site but not new, that could not be reached (not a node being decommissioned, which a --site run never is). The run was never to touch them, so they do not make it
 * half-applied or failed (review B5); but whether they plan no change could not be checked, and
 * their agents are not asked, which the run says.
 */
export function unreachableOutsideSite(ctx: Pick<RunContext, 'site' | 'options' | 'unreachable' | 'recordedOnly'>): Set<string> {
  if (!onlyTheSite(ctx)) return new Set();
  // A node being decommissioned and not reached keeps its own outcome: exit 1 with the `state rm` hint (apply-outcome).
  return new Set(ctx.unreachable.map((u) => u.node.name).filter((name) => !ctx.site!.has(name) && !ctx.recordedOnly.has(name)));
}

/** Which of `hosts` (existing hosts not reached) are of the site, only not new: named so, not as outside it. */
export function ofTheSite(ctx: Pick<RunContext, 'siteNodes'>, hosts: readonly string[]): Set<string> {
  return new Set(hosts.filter((h) => ctx.siteNodes?.has(h)));
}
