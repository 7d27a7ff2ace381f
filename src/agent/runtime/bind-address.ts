import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { AgentConfigError, type AgentConfig } from './config.js';
import { lookupIPv4, type ResolveIPv4 } from './ipv4-lookup.js';

/** What resolving the bind address may use: the resolver, this host's own addresses, and a pause between tries. */
export interface BindResolution {
  resolve: ResolveIPv4;
  /** The IPv4 addresses of this host's interfaces outside 127.0.0.0/8. */
  localAddresses: () => string[];
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds, for the bound on retries: a lookup the resolver times out takes its own seconds. */
  now: () => number;
  /** How long a resolver that cannot answer is asked again before the start fails. */
  retryForMs: number;
}

/**
 * By range, not Node's `internal` flag: that marks every address on `lo`, and routed fabrics
 * (BGP to the host, unnumbered links) put the node's own /32 there.
 */
export const nonLoopbackIPv4 = (interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string[] =>
  Object.values(interfaces)
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.address.startsWith('127.'))
    .map((a) => a!.address);

/**
 * Long enough for a resolver that comes up a little after the agent at boot; systemd's start limit
 * (5 starts in 10 s at RestartSec=100ms) would otherwise give up on the agent within a second.
 */
const RESOLVER_RETRY_MS = 30_000;

const SYSTEM: BindResolution = { resolve: lookupIPv4, localAddresses: () => nonLoopbackIPv4(), sleep: (ms) => delay(ms), now: () => performance.now(), retryForMs: RESOLVER_RETRY_MS };

/**
 * The config with `bind` as an IPv4 address. gridops writes the node's topology address there,
 * which may be a DNS name: the agent's sockets are IPv4 (udp4), and a multicast membership needs
 * the interface's address, not a name (EINVAL), so a name is resolved here, once, at start, and
 * the agent binds and advertises the first of its addresses that belongs to one of this host's
 * interfaces (peers then see one spelling for it). Not simply the first answer: /etc/hosts wins
 * in getaddrinfo, and Debian maps the host's own name to 127.0.1.1 there, where an agent would
 * bind and advertise an address no peer can reach, cut off with no error.
 */
export async function resolveBindAddress(config: AgentConfig, using: Partial<BindResolution> = {}): Promise<AgentConfig> {
  const { bind, port } = config;
  if (isIPv4(bind)) return config;
  const fix = "write the node's IPv4 address as its address in the topology";
  if (isIPv6(bind)) throw new AgentConfigError(`bind ${bind} is an IPv6 address, and gridagent speaks IPv4 only; ${fix}`);
  const how = { ...SYSTEM, ...using };
  const addresses = await resolveWithRetries(bind, how);
  if (addresses.length === 0) throw new AgentConfigError(`bind ${bind} has no IPv4 address on this node (gridagent speaks IPv4 only); ${fix}`);
  const local = new Set(how.localAddresses());
  const address = addresses.find((a) => local.has(a));
  if (address === undefined) {
    const mine = [...local].join(', ') || 'none but loopback';
    throw new AgentConfigError(`bind ${bind} resolves on this node to ${addresses.join(', ')}, none of them an address of its interfaces (${mine}); ${fix}, or make the name resolve to it here (check /etc/hosts)`);
  }
  // An advertise address the config wrote is the operator's choice; the derived one follows the bind.
  const derived = config.advertise === `${bind}:${port}`;
  return { ...config, bind: address, advertise: derived ? `${address}:${port}` : config.advertise };
}

/** The name's IPv4 addresses, asking again, with a growing pause, while the resolver cannot answer (up to `retryForMs`). */
async function resolveWithRetries(name: string, how: BindResolution): Promise<string[]> {
  const started = how.now();
  for (let pause = 250; ; pause = Math.min(pause * 2, 4000)) {
    try {
      return await how.resolve(name);
    } catch (error) {
      // Time spent in the lookups counts: glibc answers EAI_AGAIN only after its own timeouts.
      const waited = how.now() - started;
      if (waited >= how.retryForMs) throw new AgentConfigError(`bind ${name}: the resolver did not answer for ${Math.round(waited / 1000)} s (${(error as Error).message}); check the node's DNS, or write its IPv4 address as its address in the topology`);
      await how.sleep(Math.min(pause, how.retryForMs - waited));
    }
  }
}
