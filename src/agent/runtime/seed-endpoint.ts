import { isIPv6 } from 'node:net';

/** A seed of the config: an agent's IPv4 address or DNS name (brackets removed), and its port. */
export interface SeedEndpoint {
  written: string;
  host: string;
  port: number;
}

/** An IPv6 address, with or without a `%zone`. */
const isIPv6Literal = (value: string): boolean => isIPv6(value.split('%')[0]!);

/**
 * The seed's host and port, or why the agent cannot use it, as a sentence that ends in what to
 * write. An IPv6 seed is refused, not kept: the agent's sockets are udp4, so every send to it would
 * fail, and discovery would quietly go without it (as '::' is refused for bind).
 */
export function parseSeed(seed: string): SeedEndpoint | { problem: string } {
  const lastColon = seed.lastIndexOf(':');
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(seed);
  const plain = /^([^:[\]\s]+):(\d+)$/.exec(seed);
  if ((bracketed && isIPv6Literal(bracketed[1]!)) || isIPv6Literal(seed) || (lastColon > 0 && isIPv6Literal(seed.slice(0, lastColon)))) {
    return { problem: `seed ${seed} is an IPv6 address, and gridagent speaks IPv4 only; write the seed's IPv4 address or a DNS name as HOST:PORT (10.0.1.12:7946, n2.example.org:7946)` };
  }
  const parts = bracketed ?? plain;
  const port = Number(parts?.[2]);
  if (!parts || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { problem: `seed ${seed} is not HOST:PORT with a port from 1 to 65535; write it as 10.0.1.12:7946 or n2.example.org:7946` };
  }
  return { written: seed, host: parts[1]!, port };
}
