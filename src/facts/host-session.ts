import type { ConnectOptions, Fleet, UnreachableHost } from '../transport/fleet.js';
import type { Transport } from '../transport/transport.js';
import type { Node } from '../topology/model.js';
import { gatherFacts } from './gather.js';
import type { HostFacts } from './host-facts.js';

/** A connected host with its facts: what planning, applying and the overlay checks work on. */
export interface HostSession {
  node: Node;
  transport: Transport;
  facts: HostFacts;
}

/** Connects through `fleet` and gathers facts (one round trip per host). */
export async function openSessions(fleet: Fleet, nodes: readonly Node[], options: ConnectOptions): Promise<{ sessions: HostSession[]; unreachable: UnreachableHost[] }> {
  const { results, unreachable } = await fleet.readEach(nodes, options, async (host) => ({ ...host, facts: await gatherFacts(host.transport) }));
  return { sessions: results, unreachable };
}
