import { PlanningError } from '../errors/index.js';
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
    const [region, subgrid, extra] = ctx.options.site!.split('/');
    const nodes = allNodes(ctx.grid);
    const site = nodes.filter((n) => n.region === region && (subgrid === undefined || n.subgrid === subgrid));
    if (extra !== undefined || site.length === 0) {
      const sites = [...new Set(nodes.flatMap((n) => [n.region, `${n.region}/${n.subgrid}`]))];
      throw new PlanningError(`--site ${ctx.options.site}: no such region or sub-grid in the topology`, `give REGION or REGION/SUBGRID, one of: ${sites.slice(0, 12).join(', ')}`);
    }
    ctx.site = new Set(site.map((n) => n.name));
    const existingChanged = ctx.plan.hosts.filter((h) => !ctx.site!.has(h.host) && h.changes.length > 0);
    if (existingChanged.length && !ctx.options.allowExistingChanges) {
      throw new PlanningError(
        `--site ${ctx.options.site} would leave these existing hosts with planned changes: ${existingChanged.map((h) => `${h.host} (${h.changes.length})`).join(', ')}; nothing was changed`,
        'a new site should need no change elsewhere: review them with `gridops plan`, apply them first with a plain apply, or pass --allow-existing-changes to apply them in this run too',
      );
    }
    const unreachable = ctx.plan.hosts.filter((h) => ctx.site!.has(h.host) && h.error);
    if (unreachable.length) ctx.say(`warning: ${unreachable.map((h) => h.host).join(', ')} of the new site could not be planned`);
    ctx.say(`new site ${ctx.options.site}: ${site.map((n) => n.name).join(', ')}${otherHosts(nodes.length - site.length)}`);
  },
};

/** What the run says of the hosts outside the new site; nothing when the site is the whole grid. */
export function otherHosts(n: number): string {
  if (n === 0) return '';
  return `; the ${plural(n, 'other host')} ${n === 1 ? 'plans no change and is' : 'plan no change and are'} not touched`;
}
