import { ssh2Origin } from '../transport/ssh2-client.js';
import type { Phase } from './phase.js';
import type { RunContext } from './run-context.js';

/**
 * Runs a workflow's phases in order (k0sctl's phase manager): a phase whose `shouldRun` says no
 * is skipped; when one throws, every phase that ran gets its `cleanUp`, newest first, and the
 * error goes on to the caller. Each phase's wall time goes into the run's profile.
 */
export async function runPhases(phases: readonly Phase[], ctx: RunContext, onPhase: (title: string) => void = () => undefined): Promise<void> {
  const ran: Phase[] = [];
  try {
    for (const phase of phases) {
      if (phase.shouldRun && !phase.shouldRun(ctx)) continue;
      onPhase(phase.title);
      ran.push(phase);
      const t0 = performance.now();
      try {
        await phase.run(ctx);
      } finally {
        ctx.profile.phase(phase.title, performance.now() - t0);
      }
    }
  } catch (err) {
    for (const phase of ran.reverse()) await phase.cleanUp?.(ctx).catch(() => undefined);
    throw err;
  } finally {
    // ssh2 loads at the run's first connection: where it came from is known only now.
    ctx.profile.ssh2 = ssh2Origin();
    ctx.options.onProfile?.(ctx.profile);
  }
}
