import { PlanningError } from '../errors/index.js';
import { namedFew } from '../named-few.js';
import { hostHasWork, owedOnly } from '../plan/plan.js';
import { plural } from '../plural.js';
import { allNodes, type Node } from '../topology/model.js';
import { existingInSite } from './existing-in-site.js';
import type { Phase } from './phase.js';

/**
 * `apply --site REGION[/SUBGRID]` bootstraps a new site (k0sctl installs only hosts not yet
 * running): every host was planned, only the site's new nodes are applied, and an existing host
 * with a planned change makes the run refuse, since touching it is not what a new site should
 * need. A node of the site that already runs (existing-in-site.ts) is such an existing host:
 * `--site r1` where r1 has a running sub-grid beside the new one must not restart that
 * sub-grid's agents, all at once, without a word. A node outside the site that is new by the same
 * rule (a new region's other sub-grid) is no existing host: the run refuses too, since the plan's
 * changes on it would not be made, but names it as new and the site that takes it with this one.
 * Once checked, the run's site is its new nodes alone.
 */
export const checkSite: Phase = {
  title: 'check that only the new site changes',
  shouldRun: (ctx) => ctx.options.site !== undefined,
  async run(ctx) {
    const nodes = allNodes(ctx.grid);
    // Which nodes the site has was checked before any connection (validate-topology.ts); which of them are new needs the state and the facts.
    const site = nodes.filter((n) => ctx.site!.has(n.name));
    const state = await ctx.recordedState();
    const existing = existingInSite(ctx.site!, state, ctx.planned, ctx.renamed);
    const fresh = new Set(site.map((n) => n.name).filter((name) => !existing.has(name)));
    // A node outside the site is new by the same rule as one of it (a new region's other sub-grid): not an existing host.
    const outside = new Set(nodes.filter((n) => !ctx.site!.has(n.name)).map((n) => n.name));
    const existingOutside = existingInSite(outside, state, ctx.planned, ctx.renamed);
    const newOutside = new Set([...outside].filter((name) => !existingOutside.has(name)));
    const existingChanged = ctx.plan.hosts.filter((h) => !fresh.has(h.host) && hostHasWork(h));
    // A new node outside the site that could not be planned (not reached) plans no change only
    // because nothing was read: it is as unbootstrapped as one that plans changes, not an existing
    // host whose "no change" went unchecked, so it refuses the run too rather than be excused.
    const newNotPlanned = ctx.plan.hosts.filter((h) => newOutside.has(h.host) && h.error);
    if ((existingChanged.length || newNotPlanned.length) && !ctx.options.allowExistingChanges) {
      const [newChanged, oldChanged] = [[...existingChanged.filter((h) => newOutside.has(h.host)), ...newNotPlanned], existingChanged.filter((h) => !newOutside.has(h.host))];
      const ofSite = oldChanged.filter((h) => existing.has(h.host)).map((h) => h.host);
      const counted = (hosts: typeof existingChanged) => hosts.map((h) => `${h.host} (${h.error ? (h.error.kind === 'unreachable' ? 'not reached' : 'not planned') : h.changes.length + owedOnly(h).length}${existing.has(h.host) ? ', of the site but not new' : ''})`).join(', ');
      const left = [...(oldChanged.length ? [`these existing hosts with planned changes: ${counted(oldChanged)}`] : []), ...(newChanged.length ? [`these new hosts outside it not bootstrapped: ${counted(newChanged)}`] : [])];
      const hints = [
        ...(oldChanged.length ? [ofSite.length ? notNewHint(ctx.options.site!, ofSite) : 'a new site should need no change elsewhere: review them with `gridops plan`, apply them first with a plain apply, or pass --allow-existing-changes to widen this run to them (their changes are applied too, not only the site\'s)'] : []),
        ...(newChanged.length ? [newOutsideHint(ctx.options.site!, site, newChanged.map((h) => h.host), nodes, newOutside)] : []),
      ];
      throw new PlanningError(`--site ${ctx.options.site} would leave ${left.join(', and ')}; nothing was changed`, hints.join('. '));
    }
    // From here on the run's site is its new nodes: an existing node of it is applied, asked and
    // counted as any existing host, but named as of the site (siteNodes), not as outside it.
    ctx.siteNodes = ctx.site;
    ctx.site = fresh;
    const unreachable = ctx.plan.hosts.filter((h) => fresh.has(h.host) && h.error);
    if (unreachable.length) ctx.warn(`${unreachable.map((h) => h.host).join(', ')} of the new site could not be planned`);
    // Only with --allow-existing-changes (refused above otherwise): the run is widened to them and fails on them as any apply.
    if (newNotPlanned.length) ctx.warn(`${newNotPlanned.map((h) => h.host).join(', ')}, new and outside the site, could not be planned`);
    // An existing host not reached plans no change only because nothing was read: that is not a pass (review B5).
    // A node being decommissioned is no existing host of the topology (a --site run decommissions none: find-removed-nodes).
    const notChecked = ctx.plan.hosts.filter((h) => !fresh.has(h.host) && !newOutside.has(h.host) && !ctx.recordedOnly.has(h.host) && h.error?.kind === 'unreachable');
    if (notChecked.length) ctx.warn(`could not check that the existing ${notChecked.length === 1 ? 'host' : 'hosts'} ${notChecked.map((h) => `${h.host}${existing.has(h.host) ? ' (of the site, not new)' : ''}`).join(', ')} ${notChecked.length === 1 ? 'plans' : 'plan'} no change (not reached); this run does not touch ${notChecked.length === 1 ? 'it' : 'them'}`);
    // A site already applied plans nothing: say so, rather than call it new.
    const siteChanges = ctx.plan.hosts.some((h) => fresh.has(h.host) && (hostHasWork(h) || h.error));
    // An existing node of the site not reached was named just above: it is not said to plan no change.
    const reached = site.filter((n) => !notChecked.some((h) => h.host === n.name)).map((n) => n.name);
    if (!siteChanges) ctx.say(`--site ${ctx.options.site}: ${reached.length ? `its nodes (${reached.join(', ')}) plan no change` : 'its nodes were applied before'}: not a new site, nothing to bootstrap`);
    else ctx.say(`new site ${ctx.options.site}: ${[...fresh].join(', ')}${otherHosts(nodes.length - fresh.size - notChecked.length - existingChanged.length - newNotPlanned.length)}${widened(existingChanged.filter((h) => !newOutside.has(h.host)).length, existingChanged.filter((h) => newOutside.has(h.host)).length)}`);
  },
};

/** What to do when the site names nodes that run already and plan changes: they are not this run's to change. */
function notNewHint(site: string, hosts: readonly string[]): string {
  const one = hosts.length === 1;
  return (
    `${namedFew(hosts)} ${one ? 'is' : 'are'} of ${site} but not new (the state records ${one ? 'it' : 'them'} as applied, or ${one ? 'it runs an agent' : 'they run agents'}): a --site run bootstraps only new nodes. ` +
    `Apply ${one ? 'it' : 'them'} first without --site (\`gridops plan\` reviews ${one ? 'it' : 'them'}, --rolling restarts agents a batch at a time) or with \`--limit ${hosts.join(',')}\`, then run --site again for the new nodes; ` +
    'or pass --allow-existing-changes to widen this run to the existing hosts (their changes are applied too, their agents restarted at once)'
  );
}

/**
 * What to do when hosts outside the site are new too and plan changes (a new region's other
 * sub-grid): a --site run would leave them planned but not applied. Where they and the site are of
 * one region, `--site REGION` takes them all; a new region's first region vote needs the super
 * peers of its sub-grids anyway, so one bootstrapped alone would have no region peer until then.
 */
function newOutsideHint(site: string, siteNodes: readonly Node[], hosts: readonly string[], nodes: readonly Node[], newNodes: ReadonlySet<string>): string {
  const one = hosts.length === 1;
  const regionOf = new Map(nodes.map((n) => [n.name, n.region]));
  const regions = new Set([...siteNodes.map((n) => n.region), ...hosts.map((h) => regionOf.get(h)!)]);
  const region = regions.size === 1 ? [...regions][0]! : undefined;
  const newRegion = region !== undefined && nodes.filter((n) => n.region === region).every((n) => newNodes.has(n.name) || siteNodes.includes(n));
  const widen = region === undefined || region === site ? '' : `--site ${region} (${newRegion ? "the new region whole: its sub-grids' super peers elect its region peer together" : 'the region\'s new nodes'}), or `;
  return (
    `${namedFew(hosts)} ${one ? 'is' : 'are'} new (no apply of ${one ? 'it' : 'them'} succeeded yet) but not of ${site}: a --site run bootstraps its site alone, and the plan's changes on ${one ? 'it' : 'them'} would not be made. ` +
    `Bootstrap ${one ? 'it' : 'them'} with the site: ${widen}a plain apply, which bootstraps every new node; or pass --allow-existing-changes to widen this run to ${one ? 'it' : 'them'}`
  );
}

/** What the run says of the hosts outside the new site; nothing when the site is the whole grid. */
export function otherHosts(n: number): string {
  if (n === 0) return '';
  return `; the ${plural(n, 'other host')} ${n === 1 ? 'plans no change and is' : 'plan no change and are'} not touched`;
}

/** With --allow-existing-changes: the existing hosts, and the new ones outside the site, whose changes the run applies besides the site. */
export function widened(existingHosts: number, newHosts = 0): string {
  const n = existingHosts + newHosts;
  if (n === 0) return '';
  const named = [...(existingHosts ? [plural(existingHosts, 'existing host')] : []), ...(newHosts ? [`${plural(newHosts, 'new host')} outside the site`] : [])].join(' and ');
  return `; the ${named} with planned changes ${n === 1 ? 'is' : 'are'} applied too (--allow-existing-changes)`;
}
