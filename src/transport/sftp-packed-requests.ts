import type { SFTPWrapper } from 'ssh2';

/** The part of ssh2's connection an SFTP session writes through (ssh2/lib/protocol/SFTP.js uses these two alone). */
interface ChannelWriter {
  channelData(id: number, data: Buffer): void;
  channelClose(id: number): void;
}

/** ssh2's SFTP session, as far as this module reaches into it. */
interface SftpInternals {
  _protocol: ChannelWriter;
  outgoing: { id: number; packetSize: number; state: string };
}

const PACKED = Symbol('gridops.sftpPacked');

/**
 * Makes the SFTP requests one tick sends on `sftp` go out as one SSH packet (or as few as the
 * channel's packet size allows), where ssh2 sends each request as a packet of its own.
 *
 * Why: a read without a shell asks about 11 paths at once (sftp-queries.ts), and each packet costs
 * the client a padding, an encryption and a MAC in JavaScript, and the host's sshd a decryption
 * and a write to sftp-server's pipe. The SFTP stream is the same bytes either way: the server reads
 * requests from its pipe without regard to how the channel cut them.
 *
 * Only the channel's data is held, and only until the current tick ends (the same moment
 * coalesce-writes.ts sends a tick's writes); the window was already counted by ssh2 as each request
 * was made. The session's close of the channel sends what is held first (a read's last handle
 * closes, asked without waiting, come just before it); data still held when the channel closed
 * otherwise is dropped, as ssh2 drops a request made on a closed channel.
 */
export function packSftpRequests(sftp: SFTPWrapper): void {
  const session = sftp as unknown as Partial<SftpInternals> & { [PACKED]?: true };
  // A session that is not ssh2's own (no connection it writes through) is left as it is.
  if (session[PACKED] || typeof session._protocol !== 'object' || session._protocol === null || typeof session.outgoing !== 'object') return;
  session[PACKED] = true;
  const protocol = session._protocol;
  const outgoing = session.outgoing;
  let held: Buffer[] = [];
  let heldFor = -1;
  // `closing`: what the session's end() sets just before it closes the channel through channelClose below.
  const send = (closing = false) => {
    if (held.length === 0) return;
    const data = held.length === 1 ? held[0]! : Buffer.concat(held);
    held = [];
    if (outgoing.state !== 'open' && !closing) return;
    const most = outgoing.packetSize;
    try {
      for (let at = 0; at < data.length; at += most) protocol.channelData(heldFor, data.subarray(at, Math.min(data.length, at + most)));
    } catch {
      // Sent from a tick of its own, where a throw would end the process (the keeper's too). What
      // could not be sent (perhaps part of it was) is dropped and the channel closed, so the
      // session ends and ssh2 fails its waiting requests at once (sftp-queries.ts then reads with
      // the shell), rather than leaving them to their timeout or the server a request cut short.
      try {
        protocol.channelClose(heldFor);
      } catch {
        // the connection itself is gone: its end fails the session's requests
      }
    }
  };
  const packing: ChannelWriter = {
    channelData(id, data) {
      if (held.length && id !== heldFor) send();
      if (held.length === 0) process.nextTick(() => send());
      heldFor = id;
      held.push(data);
    },
    channelClose(id) {
      send(true);
      protocol.channelClose(id);
    },
  };
  // Anything else ssh2 may ask of the connection through this session goes to the connection itself.
  session._protocol = new Proxy(protocol, { get: (target, key) => (key === 'channelData' || key === 'channelClose' ? packing[key] : Reflect.get(target, key)) });
}
