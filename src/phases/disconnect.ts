import { releaseLock } from './lock-state.js';
import type { Phase } from './phase.js';

/** Close every connection of the run and let go of the state lock. */
export const disconnect: Phase = {
  title: 'disconnect',
  async run(ctx) {
    await ctx.fleet.close();
    if (ctx.lock) await releaseLock(ctx);
  },
};
