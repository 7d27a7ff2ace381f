import type { SFTPWrapper } from 'ssh2';
import { packSftpRequests } from '../../src/transport/sftp-packed-requests.js';

/** ssh2's SFTP session as packSftpRequests reaches into it, with the connection recording what it was asked to send. */
function session(packetSize = 32768) {
  const sent: Array<{ op: 'data' | 'close'; id: number; data?: string }> = [];
  const protocol = {
    window: 1,
    channelData(id: number, data: Buffer) {
      sent.push({ op: 'data', id, data: data.toString() });
    },
    channelClose(id: number) {
      sent.push({ op: 'close', id });
    },
    other() {
      return this.window;
    },
  };
  const sftp = { _protocol: protocol, outgoing: { id: 7, packetSize, state: 'open' } };
  return { sftp, sent, protocol, asWrapper: sftp as unknown as SFTPWrapper };
}
const tick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('packSftpRequests: one tick of SFTP requests in one SSH packet', () => {
  it('sends the requests of one tick as one packet, in order, once the tick ends', async () => {
    const s = session();
    packSftpRequests(s.asWrapper);
    for (const r of ['lstat a;', 'lstat b;', 'stat c;']) s.sftp._protocol.channelData(7, Buffer.from(r));
    expect(s.sent).toEqual([]);
    await tick();
    expect(s.sent).toEqual([{ op: 'data', id: 7, data: 'lstat a;lstat b;stat c;' }]);
    s.sftp._protocol.channelData(7, Buffer.from('open a;'));
    await tick();
    expect(s.sent.at(-1)).toEqual({ op: 'data', id: 7, data: 'open a;' });
  });

  it("cuts what it holds at the channel's packet size", async () => {
    const s = session(4);
    packSftpRequests(s.asWrapper);
    s.sftp._protocol.channelData(7, Buffer.from('abc'));
    s.sftp._protocol.channelData(7, Buffer.from('defgh'));
    await tick();
    expect(s.sent.map((x) => x.data)).toEqual(['abcd', 'efgh']);
  });

  it('sends what it holds before a close, and nothing once the channel is no longer open', async () => {
    const s = session();
    packSftpRequests(s.asWrapper);
    s.sftp._protocol.channelData(7, Buffer.from('close h;'));
    // As ssh2's SFTP end() does: the state first, then the close.
    s.sftp.outgoing.state = 'closing';
    s.sftp._protocol.channelClose(7);
    expect(s.sent).toEqual([
      { op: 'data', id: 7, data: 'close h;' },
      { op: 'close', id: 7 },
    ]);
    s.sftp.outgoing.state = 'open';
    s.sftp._protocol.channelData(7, Buffer.from('late;'));
    s.sftp.outgoing.state = 'closed';
    await tick();
    expect(s.sent).toHaveLength(2);
  });

  it('drops what the connection cannot take, from its own tick, without ending the process, and closes the channel', async () => {
    const s = session();
    s.protocol.channelData = () => {
      throw new Error('the connection is gone');
    };
    packSftpRequests(s.asWrapper);
    s.sftp._protocol.channelData(7, Buffer.from('lstat a;'));
    await tick();
    // The channel is closed, so the session ends and its requests fail at once.
    expect(s.sent).toEqual([{ op: 'close', id: 7 }]);
  });

  it("leaves the rest of the connection as it is, and packs a session once however often it is asked", async () => {
    const s = session();
    packSftpRequests(s.asWrapper);
    packSftpRequests(s.asWrapper);
    expect((s.sftp._protocol as typeof s.protocol).other()).toBe(1);
    s.sftp._protocol.channelData(7, Buffer.from('x'));
    await tick();
    expect(s.sent).toEqual([{ op: 'data', id: 7, data: 'x' }]);
  });
});
