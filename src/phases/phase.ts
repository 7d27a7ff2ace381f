import type { RunContext } from './run-context.js';

/**
 * One step of a workflow (k0sctl's phase): a human title, whether it has anything to do in this
 * run, what it does, and optionally how to let go of what it holds when a later phase fails.
 */
export interface Phase {
  readonly title: string;
  shouldRun?(ctx: RunContext): boolean;
  run(ctx: RunContext): Promise<void>;
  /** Runs, newest first, for every phase that ran when a later phase throws (release the lock, close connections). */
  cleanUp?(ctx: RunContext): Promise<void>;
}
