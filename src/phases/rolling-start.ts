import type { RolloutSizes } from '../overlay/rolling-batches.js';
import type { PeersNow } from '../overlay/super-peers-now.js';

/**
 * What a rolling apply starts from, as the agents told it before the question
 * (ask-agents-before-rolling.ts): the super peers and voters they name, and the budgets counted
 * with the nodes down, those outside the run that they hear down included. The batch loop cuts its
 * first batches from it.
 */
export interface RollingStart {
  peers: PeersNow;
  sizes: RolloutSizes;
  /** Date.now() when the agents were asked: a view older than a gate's stable window is asked again at the first batch. */
  askedAt: number;
}
