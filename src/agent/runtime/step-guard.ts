import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** What the daemon was doing when it threw: a tick, a received message, a send, a refresh of the host's attributes. */
export interface StepContext {
  step: 'tick' | 'receive' | 'send' | 'attributes';
  /** The message's type and tier, and its sender or receiver, where the step had one. */
  type?: string;
  tier?: string;
  from?: string;
  to?: string;
}

/**
 * A failure the agent must not run on: a state file it could not write holds a term or a vote that
 * the step's messages depend on (persist first, then send). guardStep lets it through, and the
 * process ends as it did before the guard; systemd restarts it from the state on disk.
 */
export class MustStopError extends Error {
  override readonly name = 'MustStopError';
}

/**
 * Runs one step of the daemon; returns whether it completed. The core never throws on what
 * validation let in, so a throw here is a bug, and one that a peer may be able to repeat: without
 * a handler it ended the process, and a peer whose registry entry made every sync throw stopped each
 * new super peer in turn. So it ends only the step: logged at error level, with the message type and
 * the stack, and counted in gridagent_step_errors_total{step,type}, so that a node whose state went
 * wrong says so on every step that fails, and an alert can be set on the counter.
 */
export function guardStep(report: { log: Logger; metrics: Metrics }, context: StepContext, body: () => void): boolean {
  try {
    body();
    return true;
  } catch (error) {
    if (error instanceof MustStopError) throw error;
    report.metrics.inc('gridagent_step_errors_total', { step: context.step, ...(context.type !== undefined ? { type: context.type } : {}) });
    report.log.error('step failed', { ...context, error: String(error), stack: error instanceof Error ? error.stack : undefined });
    return false;
  }
}
