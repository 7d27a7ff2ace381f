import { PlanningError } from '../errors/index.js';
import { allNodes } from '../topology/model.js';
import { hostsReplacingGridKey } from './grid-key-replaced.js';
import type { Phase } from './phase.js';

/**
 * `apply --rolling` restarts the agents a batch at a time while the others run on, so the grid has
 * to stay one overlay throughout. A new grid key cannot: an agent holds one key, and a batch
 * restarted with the new one neither hears the rest nor is heard by it (its super peers fail over
 * to nodes it cannot reach, and the gate fails with that batch cut off). So a rolling run that
 * replaces the key is refused before any change; a plain apply restarts every agent at once,
 * and the sub-grids elect again on the new key.
 */
export const checkRolling: Phase = {
  title: 'check that a rolling apply keeps the agents one overlay',
  shouldRun: (ctx) => ctx.options.rolling === true,
  async run(ctx) {
    // A node placed its first key, or a key file whose mode alone is repaired, rolls.
    const rekeyed = hostsReplacingGridKey(ctx.plan);
    if (!rekeyed.length) return;
    // "Every host" is the grid's: a --limit run plans only its own hosts, and then names them.
    const everyHost = rekeyed.length === ctx.plan.hosts.length && rekeyed.length === allNodes(ctx.grid).length;
    throw new PlanningError(
      `--rolling would replace the grid key on ${everyHost ? 'every host' : rekeyed.join(', ')}: agents restarted with the new key cannot hear the ones still on the old, so the first batch would be cut off from its sub-grid; nothing was changed`,
      'apply without --rolling, so every agent restarts at once on the new key (the sub-grids elect again within about a second); if the key was not meant to change, point agent.keyFile at the old one',
    );
  },
};
