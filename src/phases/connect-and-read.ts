import { planHost, type HostPlanning } from '../engine/planner.js';
import { HostKeyError } from '../errors/index.js';
import { hostHasWork } from '../plan/plan.js';
import { runsAgent } from '../overlay/agent-hosts.js';
import { groupBirths } from '../state/group-births.js';
import { expectedInSync } from '../state/expected-in-sync.js';
import type { Phase } from './phase.js';
import { decommissionKeyRefused, decommissionNotReached } from './decommission-not-reached.js';
import { needsGridKey, type Secrets } from '../playbooks/instantiate.js';
import { loadSecrets, namedKeyFile } from './load-secrets.js';
import { recordOf } from './renamed-node.js';
import { sayMadeGridKey, sayStateAndKeyAfterRead } from './state-not-found.js';
import { unreachableLines } from './unreachable-lines.js';

/**
 * DESIGN step 3 and the reading half of step 4: connect to every node (bounded concurrency,
 * verified host keys) and, as soon as a host is up, read its facts and the current state of
 * every resource in one round trip. A refused host key anywhere stops the run; an unreachable
 * host is reported and the others go on.
 */
export const connectAndRead: Phase = readPhase((planning) => !needsConnection(planning), true);

/**
 * The same for `plan`, which keeps no connection past its read: each host's connection closes as
 * soon as its plan is made, while other hosts still connect (as the SSH floor does), instead of
 * all at the end (0.67 s for 500 hosts in the disconnect phase).
 */
export const connectAndReadOnly: Phase = readPhase(() => true, false);

/**
 * Whether apply still needs a host's connection after reading it: to change it, or to ask its
 * agent (verify, the rolling gate). A host with neither closes at once, like a plan's.
 */
function needsConnection(planning: HostPlanning): boolean {
  if (!planning.planned) return false;
  return hostHasWork(planning.plan) || runsAgent({ facts: planning.planned.session.facts, managedUnits: planning.planned.managedUnits });
}

/**
 * `hold`: each host's read keeps its session for the host's batch (an apply's; engine/planner.ts,
 * transport/held-read.ts). A plan reads every host without a shell where its probes allow
 * (engine/read-without-shell.ts); an apply only the hosts the state expects in sync, since a host
 * read that way has no shell held for its batch.
 */
function readPhase(closeAfterRead: (planning: HostPlanning) => boolean, hold: boolean): Phase {
  return {
    title: 'connect, gather facts and read the current state',
    async run(ctx) {
      const { options, nodes } = ctx;
      ctx.say(`connecting to ${nodes.length} host${nodes.length === 1 ? '' : 's'} (verified host keys) and reading facts and current state`);
      // A run that places no key (reset, --playbook qos) does not care how many the topology names.
      if (needsGridKey([...new Set([...ctx.workflow.byNode.values()].flat())])) namedKeyFile(ctx);
      // Made (the state directory, the grid key, the digest key) once the first host is reached, not
      // before: a run the pre-flight checks stop (an identity file not there), or that reaches no
      // host, leaves nothing behind. Loaded once, shared by every host's read.
      let secrets: Promise<Secrets> | undefined;
      const secretsOnce = () => (secrets ??= loadSecrets(ctx).then((loaded) => (ctx.secrets = loaded)));
      const connect = { concurrency: options.concurrency, acceptNewHostKeys: options.acceptNewHostKeys, signal: options.signal, connect: options.connect, becomePrompt: options.becomePrompt, logger: options.logger, persistMs: options.persistMs, persistFromEnvironment: options.persistFromEnvironment, warn: (message: string) => ctx.warn(message), recordedOnly: ctx.recordedOnly };
      const state = await ctx.recordedState();
      const births = groupBirths(state);
      ctx.births = births;
      let withoutShell = 0;
      const { results, unreachable } = await ctx.fleet.readEach(
        nodes,
        connect,
        async (host) => {
          const t0 = performance.now();
          const playbooks = ctx.workflow.byNode.get(host.node.name)!;
          const inSync = !hold || expectedInSync(state, host.node.name, ctx.grid.sourceHash, playbooks.map((p) => p.ref));
          const recorded = recordOf(state, host.node.name, ctx.renamed);
          // A node being decommissioned runs `reset`, whose own removals take every gridops file: no sweep of entries besides.
          const previousEntries = ctx.removing.has(host.node.name) ? undefined : recorded?.kernelEntries;
          const replacedNetwork = ctx.networkRenames.get(host.node.name)?.from;
          const fromState = { previousKernel: recorded?.node?.settings?.kernel, previousEntries, workflowRun: !ctx.workflow.adHoc, ...(replacedNetwork === undefined ? {} : { replacedNetwork }), ...(recorded?.pendingHandlers?.length ? { pendingHandlers: recorded.pendingHandlers } : {}) };
          const planning = await planHost(ctx.grid, host, playbooks, await secretsOnce(), births, { hold, withoutShell: inSync, ...fromState });
          ctx.profile.host(host.node.name, 'read', performance.now() - t0);
          if (planning.planned?.readWithoutShell) withoutShell++;
          const held = planning.planned?.held;
          if (held && !hostHasWork(planning.plan)) {
            // Nothing to change: the held shell ends with the connection if the run needs no more
            // of the host (one packet to the host where a release and a close were two: the
            // operator's CPU for a 500-host no-change apply 3.90 -> 3.75 s), else now.
            if (!closeAfterRead(planning)) held.release();
            delete planning.planned!.held;
          }
          return planning;
        },
        closeAfterRead,
      ).catch((e: unknown) => {
        // The hosts were not all read: a key made meanwhile is said as the grid's first, not left unsaid.
        sayMadeGridKey(ctx);
        throw e instanceof HostKeyError ? decommissionKeyRefused(e, ctx.recordedOnly, options) : e;
      });
      // Secrets that could not be made stop the run, as before any connection: no host's fault.
      await secrets;
      for (const [name, ms] of ctx.fleet.connectMs) ctx.profile.host(name, 'connect', ms);
      ctx.profile.readWithoutShell = withoutShell;
      ctx.readings = results;
      // Only the facts tell agents the state has no record of (state-not-found.ts), and what the key this run made is.
      await sayStateAndKeyAfterRead(ctx);
      ctx.unreachable = unreachable.map((u) => (ctx.recordedOnly.has(u.node.name) ? decommissionNotReached(u, options) : u));
      for (const line of unreachableLines(ctx.unreachable)) ctx.say(line);
    },
    async cleanUp(ctx) {
      await ctx.fleet.close();
    },
  };
}

