import { PlanningError } from '../errors/index.js';
import { hostHasWork } from '../plan/plan.js';
import { plural } from '../plural.js';
import { allNodes } from '../topology/model.js';
import type { Phase } from './phase.js';

/**
 * `apply --site REGION[/SUBGRID]` bootstraps a new site (k0sctl installs only hosts not yet
 * running): every host was planned, only the site's are applied, and an existing host with a
 * planned change makes the run refuse, since touching it is not what a new site should need.
 */
export const checkSite: Phase = {
  title: 'check that only the new site changes',
  shouldRun: (ctx) => ctx.options.site !== undefined,
  async run(ctx) {
    const nodes = allNodes(ctx.grid);
    // Which nodes the site has was checked before any connection (validate-topology.ts); whether it is new needs the plan.
    const site = nodes.filter((n) => ctx.site!.has(n.name));
    const existingChanged = ctx.plan.hosts.filter((h) => !ctx.site!.has(h.host) && hostHasWork(h));
    if (existingChanged.length && !ctx.options.allowExistingChanges) {
      throw new PlanningError(
        `--site ${ctx.options.site} would leave these existing hosts with planned changes: ${existingChanged.map((h) => `${h.host} (${h.changes.length + (h.pendingHandlers?.length ?? 0)})`).join(', ')}; nothing was changed`,
        'a new site should need no change elsewhere: review them with `gridops plan`, apply them first with a plain apply, or pass --allow-existing-changes to widen this run to them (their changes are applied too, not only the site\'s)',
      );
    }
    const unreachable = ctx.plan.hosts.filter((h) => ctx.site!.has(h.host) && h.error);
    if (unreachable.length) ctx.say(`warning: ${unreachable.map((h) => h.host).join(', ')} of the new site could not be planned`);
    // An existing host not reached plans no change only because nothing was read: that is not a pass (review B5).
    // A node being decommissioned is no existing host of the topology (a --site run decommissions none: find-removed-nodes).
    const notChecked = ctx.plan.hosts.filter((h) => !ctx.site!.has(h.host) && !ctx.recordedOnly.has(h.host) && h.error?.kind === 'unreachable');
    if (notChecked.length) ctx.say(`warning: could not check that the existing ${notChecked.length === 1 ? 'host' : 'hosts'} ${notChecked.map((h) => h.host).join(', ')} ${notChecked.length === 1 ? 'plans' : 'plan'} no change (not reached); this run does not touch ${notChecked.length === 1 ? 'it' : 'them'}`);
    // A site already applied plans nothing: say so, rather than call it new.
    const siteChanges = ctx.plan.hosts.some((h) => ctx.site!.has(h.host) && (hostHasWork(h) || h.error));
    if (!siteChanges) ctx.say(`--site ${ctx.options.site}: its nodes (${site.map((n) => n.name).join(', ')}) plan no change: not a new site, nothing to bootstrap`);
    else ctx.say(`new site ${ctx.options.site}: ${site.map((n) => n.name).join(', ')}${otherHosts(nodes.length - site.length - notChecked.length)}`);
  },
};

/** What the run says of the hosts outside the new site; nothing when the site is the whole grid. */
export function otherHosts(n: number): string {
  if (n === 0) return '';
  return `; the ${plural(n, 'other host')} ${n === 1 ? 'plans no change and is' : 'plan no change and are'} not touched`;
}
