/**
 * The host and port of an agent address, `host:port` or `[v6]:port` (the brackets taken off); an
 * address without a port is all host. One parser for what the transport sends to and what the
 * datagram intake counts as a known peer's host.
 */
export function splitHostPort(target: string): [host: string, port: string] {
  const index = target.lastIndexOf(':');
  if (index <= 0) return [target, ''];
  return [target.slice(0, index).replace(/^\[|\]$/g, ''), target.slice(index + 1)];
}
