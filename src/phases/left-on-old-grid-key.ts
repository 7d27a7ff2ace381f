import { namedFew } from '../named-few.js';
import { hostsReplacingGridKey } from './grid-key-replaced.js';
import type { RunContext } from './run-context.js';

/**
 * After a plain apply that replaced the grid key ended with hosts failed or not started: those of
 * them that were to get the new key, as a clause for the error's one line ('' when none). Such a
 * run cannot be refused in advance (check-grid-key-whole-grid.ts refuses the runs that leave nodes
 * out), and its hosts may restart on the new key while these keep the old one and hear none of
 * them; the same apply, run again, gives them the new key.
 */
export function leftOnOldGridKey(ctx: Pick<RunContext, 'plan' | 'outcomes'>): string {
  const done = new Set(ctx.outcomes.filter((o) => o.status === 'applied').map((o) => o.host));
  const left = hostsReplacingGridKey(ctx.plan).filter((host) => !done.has(host));
  if (!left.length) return '';
  return `; ${namedFew(left)} may still hold the old grid key, cut off from the nodes on the new one until the same apply runs again`;
}
