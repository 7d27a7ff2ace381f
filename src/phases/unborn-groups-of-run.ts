import type { UnbornGroups } from '../overlay/convergence.js';
import { firstElectionsOutsideRun, firstElectionWaitLines } from './first-elections-outside-run.js';
import { goneAgents } from './gone-agents.js';
import type { RunContext } from './run-context.js';

/**
 * The groups whose first election waits for voters outside the run, which no poll of the overlay
 * can wait for (firstElectionsOutsideRun, over every host the run applies, less the agents the whole
 * run removes). Worked out and said by the first poll that asks (a rolling apply's start, or
 * verify), and kept for the later ones: the voters outside the run stay outside it for the whole
 * run, so every gate and verify judge alike, and the run says each wait once.
 */
export async function unbornGroupsOfRun(ctx: RunContext): Promise<UnbornGroups> {
  if (ctx.unborn) return ctx.unborn;
  const waits = await firstElectionsOutsideRun(ctx, goneAgents(ctx));
  for (const line of firstElectionWaitLines(ctx, waits)) ctx.say(line);
  ctx.unborn = { subgrids: new Set(waits.subgrids.keys()), regions: new Set(waits.regions.keys()) };
  return ctx.unborn;
}
