import type { HostOutcome } from '../engine/applier.js';
import { ApplyFailedError, InterruptedError, messageUnder, OverlayNotConvergedError } from '../errors/index.js';
import type { OverlayRecord } from '../overlay/overlay-record.js';
import { countPlan, type PlanCounts } from '../plan/plan.js';
import { namedFew } from '../named-few.js';
import { plural } from '../plural.js';
import { applyWithoutRollingFirst } from './apply-without-rolling.js';
import { notDecommissioned } from './decommission-not-reached.js';
import { leftOnOldGridKey } from './left-on-old-grid-key.js';
import type { BatchStop, RunContext } from './run-context.js';
import { ofTheSite, unreachableOutsideSite } from './unreachable-outside-site.js';

/** What `gridops apply` returns (and `--json` prints). */
export interface ApplyResult {
  grid: string;
  counts: PlanCounts;
  hosts: HostOutcome[];
  unreachable: Array<{ host: string; error: string }>;
  /**
   * With `--site`: the hosts of `unreachable` outside the new site. Not touched by the run, their
   * "no change" not checked; they do not fail it, since the site was applied as asked.
   */
  notChecked?: string[];
  /** Those of `notChecked` that are nodes of the site, existing ones (not new): said so, not "outside the new site". */
  notCheckedOfSite?: string[];
  /** The agents' agreed overlay; absent when no host runs an agent or with --no-verify. */
  overlay?: OverlayRecord;
  ms: number;
}

/**
 * The run's result, or the error that says honestly how it ended: a stopped rollout, an
 * interrupt (with what was finished and what was never started), failed or unreachable hosts,
 * or an overlay that did not converge. Each error carries the result, for the summary.
 */
export function applyOutcome(ctx: RunContext): ApplyResult {
  const hosts = ctx.outcomes;
  const unreachable = ctx.unreachable.map((u) => ({ host: u.node.name, error: messageUnder(u.node.name, u.error.message) }));
  const outsideSite = unreachableOutsideSite(ctx);
  const notChecked = unreachable.filter((u) => outsideSite.has(u.host)).map((u) => u.host);
  const notCheckedOfSite = [...ofTheSite(ctx, notChecked)];
  const result: ApplyResult = { grid: ctx.grid.name, counts: countPlan(ctx.plan), hosts, unreachable, ...(notChecked.length ? { notChecked } : {}), ...(notCheckedOfSite.length ? { notCheckedOfSite } : {}), ...(ctx.overlay ? { overlay: ctx.overlay } : {}), ms: ctx.elapsed() };
  const withResult = <E extends Error>(err: E) => Object.assign(err, { result });
  const stopped = ctx.stopped;
  const timeout = Math.round(ctx.grid.rollout.healthTimeoutMs / 1000);
  if (stopped?.reason === 'unhealthy') {
    throw withResult(new OverlayNotConvergedError(`apply stopped after batch ${stopped.batch} of ${stopped.batches}: ${stopped.detail}; the hosts of later batches are untouched and serving`, 'see `gridops status FILE`; once the overlay is healthy, run the same apply again to resume (the hosts already done plan no change)'));
  }
  if (stopped?.reason === 'failed') {
    // A rolling run starts only from a converged overlay: a failed host whose agent is down would make "run the same apply again" refuse.
    const failedHosts = hosts.filter((h) => h.status === 'failed').map((h) => h.host);
    const one = failedHosts.length === 1;
    const repair = ctx.options.rolling && failedHosts.length ? `; where the agent${one ? '' : 's'} of ${namedFew(failedHosts)} no longer answer${one ? 's' : ''}, --rolling refuses to start: ${applyWithoutRollingFirst(failedHosts, ctx.options)}` : '';
    throw withResult(new ApplyFailedError(`apply stopped at batch ${stopped.batch} of ${stopped.batches}: ${stopped.detail}; the hosts of later batches are untouched${leftOnOldGridKey(ctx)}`, `fix the hosts listed above, then run the same apply again to resume${repair}`));
  }
  if (stopped?.reason === 'interrupted') {
    throw withResult(new InterruptedError(`${interruptedMessage(hosts)}; ${batchesDone(stopped)}${leftOnOldGridKey(ctx)}`, 'run the same apply again to resume: the hosts already done plan no change'));
  }
  // A reset's hint says to run reset again: an apply would reinstall what the reset removed.
  const again = ctx.options.command ?? 'apply';
  if (ctx.interrupted) throw withResult(new InterruptedError(`${interruptedMessage(hosts)}${leftOnOldGridKey(ctx)}`, `run ${again} again; it continues from the real state of each host`));
  const failed = hosts.filter((h) => h.status === 'failed');
  // An existing host a --site run could not reach is said (notChecked), not a failure of the site's apply.
  const missed = unreachable.filter((u) => !outsideSite.has(u.host));
  if (failed.length || missed.length) {
    // The nodes of the topology were applied all the same; a node to decommission that was not reached says how to forget it.
    const kept = missed.filter((u) => ctx.recordedOnly.has(u.host)).map((u) => u.host);
    const retry = `fix the hosts listed above, then run ${again} again; it only does what is still needed`;
    const oldKey = leftOnOldGridKey(ctx);
    if (!kept.length) throw withResult(new ApplyFailedError(`${failedHostsMessage(failed.length, missed.length)}${oldKey}`, retry));
    const { message, forget, bringBack } = notDecommissioned(kept, ctx.options);
    const onlyThose = !failed.length && kept.length === missed.length;
    throw withResult(new ApplyFailedError(`${failedHostsMessage(failed.length, missed.length)}: ${message}${oldKey}`, onlyThose ? `${forget}; otherwise ${bringBack}` : `${retry}; ${forget}`));
  }
  const refused = hosts.flatMap((h) => (h.refused ?? []).map((r) => `${h.host}: ${r.reason}`));
  if (refused.length) {
    throw withResult(new ApplyFailedError(`${plural(refused.length, 'change')} would restart a sandbox VM and ${refused.length === 1 ? 'was' : 'were'} left untouched: ${refused.join('; ')}`, "remote users' work runs in the sandbox: when it may be restarted, run apply again with --replace-sandbox"));
  }
  const overlay = ctx.overlay;
  if (overlay && !overlay.converged) {
    const waiting = `${overlay.waitingFor.slice(0, 5).join('; ')}${overlay.waitingFor.length > 5 ? `; and ${overlay.waitingFor.length - 5} more` : ''}`;
    throw withResult(new OverlayNotConvergedError(`every change was applied, but the overlay did not converge within ${timeout} s: ${waiting}`, "`gridops status FILE` shows each agent's view, and `journalctl -u gridagent` on a node its log; raise rollout.healthTimeout if the network is slow"));
  }
  return result;
}

/**
 * The truth after Ctrl-C. A host's changes run as one script that Ctrl-C lets finish, so a host
 * is either done (applied or failed at a step) or was never started: say which, and how many.
 */
export function interruptedMessage(hosts: readonly HostOutcome[]): string {
  const applied = hosts.filter((h) => h.status === 'applied').length;
  const failed = hosts.filter((h) => h.status === 'failed').length;
  const notStarted = hosts.filter((h) => h.status === 'skipped').length;
  const done = applied ? `${plural(applied, 'host')} applied${failed ? `, ${failed} failed` : ''}` : failed ? `${plural(failed, 'host')} failed` : 'no host applied';
  if (notStarted === 0) return `interrupted after every host had finished: ${done}; nothing was left half-done`;
  return `interrupted: ${done}; ${plural(notStarted, 'host')} not started, untouched`;
}

/**
 * Which batches a Ctrl-C let finish, and when it came: "batches 1 to 4 of 9 done; interrupted
 * during the health check after batch 4/9", or, where it came while batch 5 applied and some of
 * its hosts never started, "batches 1 to 4 of 9 done; interrupted during batch 5/9 (n7 not started)".
 */
export function batchesDone(stopped: BatchStop): string {
  const done = stopped.batch === 0 ? 'no batch done' : stopped.batch === 1 ? `batch 1 of ${stopped.batches} done` : `batches 1 to ${stopped.batch} of ${stopped.batches} done`;
  return `${done}; interrupted ${stopped.detail}`;
}

/**
 * "1 host failed and 2 unreachable", "2 hosts unreachable", "1 host failed": the noun goes with
 * the first count, and a count of zero is left out, since it tells the reader nothing.
 */
export function failedHostsMessage(failed: number, unreachable: number): string {
  if (!unreachable) return `${plural(failed, 'host')} failed`;
  if (!failed) return `${plural(unreachable, 'host')} unreachable`;
  return `${plural(failed, 'host')} failed and ${unreachable} unreachable`;
}
