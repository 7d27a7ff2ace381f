import { StateLock } from '../state/lock.js';
import { sh } from '../transport/quote.js';
import type { Phase } from './phase.js';
import type { RunContext } from './run-context.js';

/** Exit hooks of held locks, by lock file: a second Ctrl-C exits at once, and must still let go of the lock. */
const exitHooks = new Map<string, () => void>();

/** DESIGN step 2: one apply at a time per grid; a lock left by a dead process is taken over. */
export const lockState: Phase = {
  title: 'lock the state',
  async run(ctx) {
    // The command this run is (reset runs this phase too): a refused run names the one to wait for, quoted as a command line.
    ctx.lock = await StateLock.acquire(ctx.paths.lock, sh(['gridops', ctx.options.command ?? 'apply', ctx.options.topologyFile]), (m) => ctx.warn(m));
    // Only while the file still holds this run's lock: another run (another PID namespace's, whose pid may be ours) may hold it since.
    const lock = ctx.lock;
    const hook = () => lock.releaseSync();
    exitHooks.set(ctx.paths.lock, hook);
    process.on('exit', hook);
  },
  async cleanUp(ctx) {
    await releaseLock(ctx);
  },
};

/** Lets go of the run's lock, now and at exit. */
export async function releaseLock(ctx: RunContext): Promise<void> {
  const hook = exitHooks.get(ctx.paths.lock);
  if (hook) process.off('exit', hook);
  exitHooks.delete(ctx.paths.lock);
  await ctx.lock?.release();
  ctx.lock = undefined;
}
