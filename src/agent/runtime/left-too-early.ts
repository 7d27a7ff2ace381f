import type { Lingering } from '../core/agent.js';

/**
 * The warning `gridagent leave` logs when its 4 s linger ran out before the node was out of the
 * voters, saying what it still waited for (AgentCore.lingersFor), so that the log points at the
 * tier, and the role, that is left with a gone voter.
 */
export const LEFT_TOO_EARLY: Record<Lingering, string> = {
  saidOnce: 'left before saying a second time that it leaves',
  subgridVoter: 'left before the super peer dropped this node from the sub-grid voters',
  holdsSlot:
    'left while still super peer (or standing to be), holding the sub-grid region voter slot: the rest of the sub-grid did not all leave with it; those staying elect a successor, which takes the slot over',
  leadsVoters:
    'left still a voter of the sub-grid it led: the view without this node was not committed (a voter did not answer, or it lost its quorum first); the others elect a successor only if a majority of that view\'s voters stays up (the last of two voters cannot)',
  regionVoter: 'left before the region peer dropped this sub-grid voter slot from the region voters',
};
