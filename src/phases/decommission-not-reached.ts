import { ConnectionError, GridopsError, HostKeyError, InterruptedError, messageUnder } from '../errors/index.js';
import { namedFew } from '../named-few.js';
import type { UnreachableHost } from '../transport/fleet.js';
import { sh } from '../transport/quote.js';
import type { RunOptions } from './run-options.js';

/**
 * A node being decommissioned that the run could not reach, with a hint that says how to forget
 * it: it stays in the state, so each apply tries again, which is right for a host that is down for
 * a while and wrong for one that is gone for good. Not for an interrupt, which stays what it is.
 */
export function decommissionNotReached(u: UnreachableHost, options: Pick<RunOptions, 'topologyFile' | 'stateDir'>): UnreachableHost {
  if (u.error instanceof InterruptedError) return u;
  const name = u.node.name;
  const hint = u.error instanceof GridopsError ? u.error.hint : undefined;
  return { node: u.node, error: new ConnectionError(name, messageUnder(name, u.error.message), withForgetHint(name, hint, options), { cause: u.error }) };
}

/** A hint for a node being decommissioned that was not reached: what it said already, then how to forget the node. */
function withForgetHint(name: string, hint: string | undefined, options: Pick<RunOptions, 'topologyFile' | 'stateDir'>): string {
  const forget = `if ${name} is gone for good, ${forgetCommand(options, [name])} forgets it without contacting it`;
  return hint ? `${hint}; or, ${forget}` : forget;
}

/**
 * A refused host key stops the run wherever it is (a changed key may be an attacker), a node being
 * decommissioned included; where that node's host was reinstalled or handed on, the way out is to
 * forget it, so the hint says how, after what it said already.
 */
export function decommissionKeyRefused(err: HostKeyError, decommissioning: ReadonlySet<string>, options: Pick<RunOptions, 'topologyFile' | 'stateDir'>): HostKeyError {
  const names = err.hosts.filter((h) => decommissioning.has(h));
  // The hosts the run did not reach at all, named with the refusal: one being decommissioned gets the hint it gets in a run that goes on.
  const notReached = err.notReached.map((u) => (decommissioning.has(u.host) ? { ...u, hint: withForgetHint(u.host, u.hint, options) } : u));
  if (names.length === 0 && !err.notReached.some((u) => decommissioning.has(u.host))) return err;
  let hint = err.hint ?? '';
  if (names.length) {
    const [is, it] = names.length === 1 ? ['is', 'it'] : ['are', 'them'];
    const hostWas = names.length === 1 ? 'its host was' : 'their hosts were';
    const forget = `${namedFew(names)} ${is} being decommissioned: if ${hostWas} reinstalled or ${is} gone for good, ${forgetCommand(options, names)} forgets ${it} without contacting ${it}`;
    hint = hint ? `${hint}; or, ${forget}` : forget;
  }
  return new HostKeyError(err.host, err.refusal, hint, err.hosts, notReached);
}

/**
 * What the end of an apply says of the nodes it could not decommission: that they stay, how to
 * forget them (`forget`), and that bringing them back works too (`bringBack`).
 */
export function notDecommissioned(names: readonly string[], options: Pick<RunOptions, 'topologyFile' | 'stateDir'>): { message: string; forget: string; bringBack: string } {
  const [was, stays, is, it] = names.length === 1 ? ['was', 'stays', 'is', 'it'] : ['were', 'stay', 'are', 'them'];
  return {
    message: `${namedFew(names)}, to be decommissioned, ${was} not reached and ${stays} in the state: the next apply tries again`,
    forget: `if ${namedFew(names)} ${is} gone for good, ${forgetCommand(options, names)} forgets ${it} without contacting ${it}`,
    bringBack: `bring ${it} back and run apply again`,
  };
}

/** The `gridops state rm` command line for `names`, with the run's own topology file and state directory, quoted to paste. */
export function forgetCommand(options: Pick<RunOptions, 'topologyFile' | 'stateDir'>, names: readonly string[]): string {
  return `\`${sh(['gridops', 'state', 'rm', options.topologyFile, ...names, ...(options.stateDir ? ['--state-dir', options.stateDir] : [])])}\``;
}
