import { StateLock } from '../state/lock.js';
import type { Phase } from './phase.js';

/** DESIGN step 2: one apply at a time per grid; a lock left by a dead process is taken over. */
export const lockState: Phase = {
  title: 'lock the state',
  async run(ctx) {
    ctx.lock = await StateLock.acquire(ctx.paths.lock, `gridops apply ${ctx.options.topologyFile}`, (m) => ctx.say(`warning: ${m}`));
  },
  async cleanUp(ctx) {
    await ctx.lock?.release();
    ctx.lock = undefined;
  },
};
