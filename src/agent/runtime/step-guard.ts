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
    report.metrics.inc('gridagent_step_errors_total', { step: context.step, ...(context.type !== undefined ? { type: context.type } : {}) });
    report.log.error('step failed', { ...context, error: String(error), stack: error instanceof Error ? error.stack : undefined });
    return false;
  }
}

/**
 * Ticks that fail in a row before the agent gives up and exits, for systemd to restart it from the
 * state on disk: 50 ticks, 5 s at the default 100 ms. A bug that throws on every tick (in building
 * a sync, say, after the heartbeats went out) would otherwise leave a super peer that heartbeats and
 * never syncs, seen only in a metric; a restart drops what the agent held in memory, the registry
 * entry that made it throw included. Received messages are not counted: a peer holding the key
 * could send a bad one on every tick and so stop the node at will.
 */
export const MAX_FAILED_TICKS_IN_A_ROW = 50;

/** Counts a step's failures in a row; says when they reach the limit. */
export class FailuresInARow {
  private count = 0;

  constructor(private readonly limit: number) {}

  /** Records one run of the step; true once `limit` runs failed in a row. */
  record(ok: boolean): boolean {
    this.count = ok ? 0 : this.count + 1;
    return this.count >= this.limit;
  }
}
