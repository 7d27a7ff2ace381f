import { lookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { AgentConfigError, type AgentConfig } from './config.js';

/** The IPv4 addresses a name has on this node: its own resolver, as ssh on the operator's machine used another. */
export type ResolveIPv4 = (name: string) => Promise<string[]>;

const systemResolver: ResolveIPv4 = async (name) => {
  try {
    return (await lookup(name, { family: 4, all: true })).map((a) => a.address);
  } catch {
    return [];
  }
};

/**
 * The config with `bind` as an IPv4 address. gridops writes the node's topology address there,
 * which may be a DNS name: the agent's sockets are IPv4 (udp4), and a multicast membership needs
 * the interface's address, not a name (EINVAL), so a name is resolved here, once, at start, and
 * the agent binds and advertises its first IPv4 address (peers then see one spelling for it). An
 * IPv6 address cannot work at all, so it is refused with what to write instead.
 */
export async function resolveBindAddress(config: AgentConfig, resolve: ResolveIPv4 = systemResolver): Promise<AgentConfig> {
  const { bind, port } = config;
  if (isIPv4(bind)) return config;
  const fix = "write the node's IPv4 address as its address in the topology";
  if (isIPv6(bind)) throw new AgentConfigError(`bind ${bind} is an IPv6 address, and gridagent speaks IPv4 only; ${fix}`);
  const address = (await resolve(bind)).find((a) => isIPv4(a));
  if (address === undefined) throw new AgentConfigError(`bind ${bind} has no IPv4 address on this node (gridagent speaks IPv4 only); ${fix}`);
  // An advertise address the config wrote is the operator's choice; the derived one follows the bind.
  const derived = config.advertise === `${bind}:${port}`;
  return { ...config, bind: address, advertise: derived ? `${address}:${port}` : config.advertise };
}
