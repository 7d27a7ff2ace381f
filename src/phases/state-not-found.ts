import { PlanningError } from '../errors/index.js';
import { namedFew } from '../named-few.js';
import { needsGridKey } from '../playbooks/instantiate.js';
import { removeCreatedGridKey } from '../secrets/grid-key.js';
import { nodesWithAgent } from '../state/nodes-with-agent.js';
import { hostsReplacingGridKey } from './grid-key-replaced.js';
import { firstGridKeyNote, namedKeyFile, newGridKeyWarning } from './load-secrets.js';
import type { Phase } from './phase.js';
import type { RunContext } from './run-context.js';

/**
 * The hosts the read reached whose facts show gridagent, where the state records no agent at all:
 * the state was not found, not a new grid (state/state.ts reads a missing file as empty). A fresh
 * clone on another machine (.gridops/ is gitignored), a metadata.name renamed (the state file is
 * named after it) or a wrong --state-dir look like this; so does a state that an ad-hoc run
 * (`--playbook node-base`) started since, which records hosts but no agent. Empty where the state
 * records any agent: the grid key's own checks (load-secrets.ts, grid-key-since-apply.ts) know it
 * then. A node being reset or decommissioned keeps no agent: not counted. Nor is a host the state
 * has a record of: a run from this state reached it (a first apply whose agent started but whose
 * run failed records no agent, and its retry is no grid from elsewhere).
 */
export async function agentsWithoutState(ctx: RunContext): Promise<string[]> {
  const state = await ctx.recordedState();
  if (nodesWithAgent(state).size > 0) return [];
  return ctx.readings.flatMap((r) => {
    const name = r.planned?.session.node.name;
    return name !== undefined && r.planned!.session.facts.agentVersion !== null && !ctx.removing.has(name) && state.hosts[name] === undefined ? [name] : [];
  });
}

/** How the run names the state it did not find: none at all, or one that records no agent. */
async function stateSaid(ctx: RunContext): Promise<string> {
  const empty = Object.keys((await ctx.recordedState()).hosts).length === 0;
  return `${empty ? `there is no state ${ctx.paths.state}` : `the state ${ctx.paths.state} records no agent`} for grid ${ctx.grid.name}`;
}

/**
 * Once the hosts are read: says loudly that the state was not found where hosts run agents, and
 * what the grid key this run made is. With such agents it is a rotation (createdGridKey), as it is
 * where the state records agents (load-secrets.ts): the key-rotation warning, the whole-grid check
 * (check-grid-key-whole-grid.ts) and apply's refusal (checkStateFound) then apply. Otherwise it is
 * the grid's first key.
 */
export async function sayStateAndKeyAfterRead(ctx: RunContext): Promise<void> {
  const running = await agentsWithoutState(ctx);
  if (running.length) {
    const one = running.length === 1;
    // Only a key made just now is sure not to be the agents': a key file that is theirs changes nothing (apply's checkStateFound refuses one that is not).
    const madeKey = ctx.madeGridKey !== undefined && needsGridKey([...new Set([...ctx.workflow.byNode.values()].flat())]);
    ctx.warn(
      `${await stateSaid(ctx)}, but ${namedFew(running)} ${one ? 'runs' : 'run'} gridagent: if this grid was applied from somewhere else (another checkout or machine, another metadata.name, another --state-dir), ` +
        `this run plans it as a new grid: the nodes the topology dropped are not decommissioned${madeKey ? ", and the grid key made just now would replace the agents', restarting them all at once" : ''}. ${STATE_STEPS}`,
    );
  }
  sayMadeGridKey(ctx, running.length);
}

/** What a run that made a grid key says of it: a rotation where `running` hosts run agents the state does not know, else the first key. */
export function sayMadeGridKey(ctx: RunContext, running = 0): void {
  const made = ctx.madeGridKey;
  if (!made) return;
  if (running > 0) {
    ctx.createdGridKey = made;
    ctx.warn(newGridKeyWarning(made.file, running));
  } else ctx.say(firstGridKeyNote(made.file));
}

const STATE_STEPS = 'Copy the state directory (the state file and the grid key) from where the grid was applied, or pass --state-dir';

/**
 * Apply refuses to give a grid key to agents the state does not know (agentsWithoutState) when it
 * is not theirs: a key this run made, or a key file that the plan replaces on hosts. Every agent
 * would restart at once on it, from a run that cannot know the grid (which nodes it dropped, which
 * sub-grids elected), where the state was only not found. Plan warns; a run that keeps the agents'
 * key (agent.keyFile pointing at a copy of it) goes on after the warning and records a new state.
 */
export const checkStateFound: Phase = {
  title: 'check that a grid the state does not know keeps its key',
  async run(ctx) {
    const running = await agentsWithoutState(ctx);
    if (running.length === 0) return;
    const created = ctx.createdGridKey;
    if (!created && hostsReplacingGridKey(ctx.plan).length === 0) return;
    const file = created?.file ?? namedKeyFile(ctx) ?? ctx.paths.gridKey;
    // Kept, the key would be the next run's, which could then no longer tell that it is new.
    const removed = created && (await removeCreatedGridKey(created)) ? ', and the new key file was removed again' : '';
    throw new PlanningError(
      `${await stateSaid(ctx)}, but ${namedFew(running)} ${running.length === 1 ? 'runs gridagent, and this run would replace its' : 'run gridagent, and this run would replace their'} grid key with ${file}${created ? ', made just now' : ''}: ${running.length === 1 ? "its agent would restart on it, and the grid's other agents would drop its packets (badMac)" : 'every agent would restart at once on it'}; nothing was changed${removed}`,
      `${STATE_STEPS.charAt(0).toLowerCase()}${STATE_STEPS.slice(1)}. If the state is lost, copy the key from a node (/etc/gridagent/grid.key) and point agent.keyFile at it: the apply then keeps the agents' key and records a new state (nodes the topology dropped before are unknown to it); to change the key after that, point agent.keyFile at a new one and apply the whole grid`,
    );
  },
};
