import { createSocket, type Socket } from 'node:dgram';
import { jest } from '@jest/globals';
import type { Message } from '../../src/agent/core/types.js';
import { encodePacket } from '../../src/agent/core/wire.js';
import { AgentTransport } from '../../src/agent/runtime/transport.js';

// Real sockets on loopback, on a loaded machine.
jest.setTimeout(30_000);

const key = Buffer.alloc(32, 7);
const heartbeat = { type: 'hb', tier: 'subgrid', group: 'g', from: 'member-2', to: 'leader', term: 1, incarnation: 1, attrsVersion: 1, load: 0, score: 1, viewTerm: 1, viewVersion: 1 } as Message;

async function socketFrom(address: string): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return socket;
}

const send = (socket: Socket, packet: Buffer, port: number): Promise<void> => new Promise((resolve) => socket.send(packet, port, '127.0.0.1', () => resolve()));

/** The socket path of the transport goes through the datagram intake (datagram-intake.ts has the limits' own tests). */
describe('the agent transport under forged datagrams', () => {
  test('forged "GA\\x02" datagrams from one unknown address cost 4 MAC checks; a known peer still gets through', async () => {
    const drops = new Map<string, number>();
    const received: string[] = [];
    const transport = new AgentTransport(
      { bind: '127.0.0.1', port: 0, multicast: null, key },
      { packet: (packet, fromAddr) => void received.push(`${packet.message.from}@${fromAddr}`), dropped: (reason) => void drops.set(reason, (drops.get(reason) ?? 0) + 1), sent: () => undefined },
    );
    // Port 0: the test asks the socket which port it got.
    await transport.start();
    const port = (transport as unknown as { unicast: Socket }).unicast.address().port;
    const attacker = await socketFrom('127.0.0.66');
    const peer = await socketFrom('127.0.0.2');
    try {
      transport.setKnownPeers(['127.0.0.2']);
      const forged = Buffer.alloc(60, 0x61);
      forged.write('GA\x02\x00', 0, 'latin1');
      forged[20] = 0x7b;
      forged[43] = 0x7d;
      for (let index = 0; index < 300; index++) {
        await send(attacker, forged, port);
        if (index === 150) await send(peer, encodePacket(heartbeat, { epoch: 1, seq: 1, nonce: 1, echo: 0 }, key), port);
      }
      const deadline = Date.now() + 5_000;
      const handled = () => received.length + [...drops.values()].reduce((sum, count) => sum + count, 0);
      while (handled() < 301) {
        if (Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(received).toEqual([`member-2@127.0.0.2:${peer.address().port}`]);
      expect(drops.get('badMac')).toBeLessThanOrEqual(4);
      // Loopback may lose some of the burst on a loaded machine; what arrived was dropped unchecked.
      expect(drops.get('sourceCoolingDown')).toBeGreaterThan(200);
    } finally {
      attacker.close();
      peer.close();
      await transport.close();
    }
  });
});
