import type { Client } from 'ssh2';

/** What the server of a failed handshake sent: its SSH identification, or else the bytes before it. */
export interface ServerGreeting {
  /** Its `SSH-2.0-…` line came. */
  identified: boolean;
  /** What came before any identification (ssh2 keeps the first read of it), empty where nothing did. */
  sent: Buffer;
}

/**
 * What the server sent before ssh2 gave up, read from ssh2's client: the software version it keeps
 * from the identification line, and the protocol's buffer of the text before one. Read after the
 * failure, never by listening to the socket: a second `data` listener would make the socket flow
 * before ssh2's own listener is there, and ssh2 would miss a banner already read. Undefined on an
 * ssh2 whose internals differ: the failure is then reported as ssh2 words it.
 */
export function serverGreeting(client: Client): ServerGreeting | undefined {
  const c = client as unknown as { _remoteVer?: unknown; _protocol?: { _buffer?: unknown } };
  if (!c._protocol || typeof c._protocol !== 'object') return undefined;
  if (c._remoteVer !== undefined) return { identified: true, sent: Buffer.alloc(0) };
  const buffer = c._protocol._buffer;
  if (buffer !== undefined && !Buffer.isBuffer(buffer) && !(buffer instanceof Uint8Array)) return undefined;
  return { identified: false, sent: buffer ? Buffer.from(buffer) : Buffer.alloc(0) };
}
