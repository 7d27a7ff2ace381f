import type { MemberLiveness } from './agent-view.js';
import type { PeersNow } from './super-peers-now.js';

/**
 * The peers the agents name, under the topology's names: a node this run renames (old name -> new,
 * RunContext.renamed) runs its agent under the old name until its own batch applies the rename, so
 * the voter lists and registries name it so, while the run knows it by the new one. Judged by the
 * old name, a renamed voter counted as a member that does not vote and shared a batch with a real
 * voter (3 voters, maxUnavailable 2: the renamed one and another at once, no quorum left), and as
 * a voter no agent answered for. The super peers and the nodes that answered are the topology's
 * names already (the run asks each node by its own). Where the registry lists both names (an
 * earlier run applied the rename and failed after it), the new name's entry is the agent now.
 */
export function peersUnderTopologyNames(peers: PeersNow, renamed: ReadonlyMap<string, string>): PeersNow {
  if (renamed.size === 0) return peers;
  const rename = (name: string) => renamed.get(name) ?? name;
  const voters = new Map([...peers.voters].map(([subgrid, names]) => [subgrid, [...new Set(names.map(rename))]]));
  const liveness = new Map(
    [...peers.liveness].map(([subgrid, heard]) => {
      const now: Record<string, MemberLiveness> = {};
      for (const [name, state] of Object.entries(heard)) if (!renamed.has(name)) now[name] = state;
      for (const [name, state] of Object.entries(heard)) if (renamed.has(name)) now[rename(name)] ??= state;
      return [subgrid, now];
    }),
  );
  return { ...peers, voters, liveness };
}
