import type { AgentCore } from '../core/agent.js';
import type { GroupEngine } from '../core/group/engine.js';
import { allVoters } from '../core/view.js';
import { splitHostPort } from './host-port.js';

/**
 * The hosts of the peers this node knows, whose datagrams it checks without limit
 * (datagram-intake.ts): for its sub-grid and its region, the registry's members (as super peer,
 * mirror or region peer), the voters of the view, and the leader, at the addresses the core holds
 * for them; and, on a region peer, the other regions' peers its directory holds (their summaries
 * come every push interval from addresses no registry lists). The core takes an address only from a packet that passed the MAC and its replay
 * window, or from a view or registry copy such a packet carried, so a keyless sender cannot make
 * its own address known by replaying a captured packet from it. A host may be a DNS name (an
 * `advertise` may be one): known-peer-names.ts turns the names into the IPv4 addresses datagrams come from.
 */
export function knownPeerHosts(core: AgentCore): Set<string> {
  const hosts = new Set<string>();
  for (const group of [core.subgrid, core.region]) addGroup(group, hosts);
  for (const addr of [...core.directory.regionPeerAddresses(), ...core.directory.regionPeerProvenAddresses()]) hosts.add(hostOf(addr));
  return hosts;
}

function addGroup(group: GroupEngine, hosts: Set<string>): void {
  const add = (addr: string | undefined): void => {
    if (addr !== undefined) hosts.add(hostOf(addr));
  };
  for (const member of group.registry.list()) add(member.addr);
  for (const voter of allVoters(group.view)) {
    add(voter.addr);
    add(group.addressOf(voter.name));
  }
  add(group.leaderAddress);
}

/** The host of an address the core holds (host:port, IPv4: the agent speaks nothing else). */
const hostOf = (addr: string): string => splitHostPort(addr)[0];
