import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { AgentConfigError, type AgentConfig } from './config.js';
import { ADDRESS_WAIT_MS } from './bind-retry.js';
import { isNoSuchAddress, lookupIPv4OrThrow, type ResolveIPv4 } from './ipv4-lookup.js';

/** What resolving the bind address may use: the resolver, this host's own addresses, a pause between tries, and who hears what the start waits for. */
export interface BindResolution {
  resolve: ResolveIPv4;
  /** The IPv4 addresses of this host's interfaces outside 127.0.0.0/8. */
  localAddresses: () => string[];
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds, for the bound on retries: a lookup the resolver times out takes its own seconds. */
  now: () => number;
  /** How long the start waits for the name to resolve to an address of this node before it fails. */
  retryForMs: number;
  /** When the wait began, on `now`'s clock (default: this call); the bind that follows continues the same window (bind-retry.ts). */
  startedAt?: number;
  /** Told once for each thing the start begins to wait for (the name to resolve, its address to come up), as a sentence for the log. */
  onWait: (line: string) => void;
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

const SYSTEM: BindResolution = {
  resolve: lookupIPv4OrThrow,
  localAddresses: () => nonLoopbackIPv4(),
  sleep: (ms) => delay(ms),
  now: () => performance.now(),
  retryForMs: ADDRESS_WAIT_MS,
  onWait: () => undefined,
};

const FIX = "write the node's IPv4 address as its address in the topology";

/** What one try found: the address to bind, or what the start waits for and how it fails if that never comes. */
type Found = { address: string } | { waitingFor: 'resolution' | 'address'; line: string; failure: (waitedSec: number) => string };

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
  if (isIPv6(bind)) throw new AgentConfigError(`bind ${bind} is an IPv6 address, and gridagent speaks IPv4 only; ${FIX}`);
  const address = await waitForLocalAddress(bind, { ...SYSTEM, ...using });
  // An advertise address the config wrote is the operator's choice; the derived one follows the bind.
  const derived = config.advertise === `${bind}:${port}`;
  return { ...config, bind: address, advertise: derived ? `${address}:${port}` : config.advertise };
}

/**
 * The name's first address that is on an interface of this node, trying again with a growing pause
 * while the name does not resolve yet or its address is not up yet: at boot the resolver, the name's
 * record (DHCP may register it) and the address (DHCP, a VLAN, a bond) may all come a little after
 * the agent. Up to `retryForMs` from `startedAt`, then a config error (exit 78).
 */
async function waitForLocalAddress(name: string, how: BindResolution): Promise<string> {
  const started = how.startedAt ?? how.now();
  const told = new Set<string>();
  for (let pause = 250; ; pause = Math.min(pause * 2, 4000)) {
    const found = await findLocalAddress(name, how);
    if ('address' in found) return found.address;
    // Time spent in the lookups counts: glibc answers EAI_AGAIN only after its own timeouts.
    const waited = how.now() - started;
    if (waited >= how.retryForMs) throw new AgentConfigError(found.failure(Math.round(waited / 1000)));
    if (!told.has(found.waitingFor)) {
      told.add(found.waitingFor);
      how.onWait(`waiting up to ${Math.round(how.retryForMs / 1000)} s for ${found.line}`);
    }
    await how.sleep(Math.min(pause, how.retryForMs - waited));
  }
}

/** One try: resolve the name, and take the first of its addresses that is one of this node's. */
async function findLocalAddress(name: string, how: BindResolution): Promise<Found> {
  let addresses: string[];
  try {
    addresses = await how.resolve(name);
  } catch (error) {
    const { message } = error as Error;
    if (isNoSuchAddress(error)) {
      return {
        waitingFor: 'resolution',
        line: `${name} to resolve on this node (${message})`,
        failure: (sec) => `bind ${name} did not resolve on this node, still after ${sec} s (${message}); check the node's DNS and /etc/hosts, or ${FIX}`,
      };
    }
    return {
      waitingFor: 'resolution',
      line: `the resolver to answer for ${name} (${message})`,
      failure: (sec) => `bind ${name}: the resolver did not answer for ${sec} s (${message}); check the node's DNS, or write its IPv4 address as its address in the topology`,
    };
  }
  if (addresses.length === 0) {
    return {
      waitingFor: 'resolution',
      line: `${name} to resolve to an IPv4 address on this node`,
      failure: (sec) => `bind ${name} has no IPv4 address on this node, still after ${sec} s (gridagent speaks IPv4 only); ${FIX}`,
    };
  }
  const local = new Set(how.localAddresses());
  const address = addresses.find((a) => local.has(a));
  if (address !== undefined) return { address };
  const mine = [...local].join(', ') || 'none but loopback';
  const refused = `bind ${name} resolves on this node to ${addresses.join(', ')}, none of them an address of its interfaces (${mine})`;
  const hint = `${FIX}, or make the name resolve to it here (check /etc/hosts)`;
  // Only loopback answers come from /etc/hosts (Debian's 127.0.1.1), which waiting does not change.
  const reachable = addresses.filter((a) => !a.startsWith('127.'));
  if (reachable.length === 0) throw new AgentConfigError(`${refused}; ${hint}`);
  return {
    waitingFor: 'address',
    line: `${reachable.join(' or ')} (${name}) to come up on an interface of this node`,
    failure: (sec) => `${refused}, still after ${sec} s; ${hint}`,
  };
}
