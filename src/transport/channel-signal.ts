import type { ClientChannel } from 'ssh2';

/**
 * ssh2's `channel.signal()` silently does nothing once our side of the channel is ended (stdin
 * closed), which is always the case here; send the request through the protocol object instead.
 * If ssh2's internals ever change, this degrades to "channel closed, remote timeout cleans up".
 */
export function sendSignal(channel: ClientChannel, name: string): void {
  const ch = channel as unknown as { outgoing?: { id?: number; state?: string }; _client?: { _protocol?: { signal?: (id: number, sig: string) => void } } };
  try {
    const proto = ch._client?._protocol;
    if ((ch.outgoing?.state === 'open' || ch.outgoing?.state === 'eof') && typeof ch.outgoing.id === 'number' && typeof proto?.signal === 'function') proto.signal(ch.outgoing.id, name);
    else channel.signal(name);
  } catch {
    /* the server may not support signals; closing still ends the channel */
  }
}
