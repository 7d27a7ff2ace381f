import type { Socket } from 'node:dgram';
import type { Message } from '../../src/agent/core/types.js';
import { SendFailureWarnings } from '../../src/agent/runtime/send-failure-warnings.js';
import { AgentTransport, type TransportOptions } from '../../src/agent/runtime/transport.js';

/**
 * A failed send was counted (gridagent_dropped_total{reason="sendFailed"}) and logged at debug only,
 * without its error: a firewall dropping multicast output (EPERM), an unreachable network, a bound
 * address gone, and the node sat in `searching` with nothing at info to say why.
 */
const message = { type: 'announce', group: 's1', from: 'n1', term: 1 } as Message;
const header = { epoch: 1, seq: 1, nonce: 1, echo: 0 };

describe('failed sends in the log', () => {
  it('warns at most once a minute per error code and target kind, with how many failed meanwhile', () => {
    let now = 0;
    const warnings: Array<Record<string, unknown>> = [];
    const failures = new SendFailureWarnings((_msg, fields) => void warnings.push(fields), () => now);
    failures.failed('multicast', 'EPERM', '239.192.10.1:7947');
    failures.failed('multicast', 'EPERM', '239.192.10.1:7947');
    failures.failed('udp', 'EPERM', '10.0.1.12:7946');
    failures.failed('udp', 'ENETUNREACH', '10.9.0.1:7946');
    now += 30_000;
    failures.failed('multicast', 'EPERM', '239.192.10.1:7947');
    expect(warnings).toEqual([
      { code: 'EPERM', via: 'multicast', target: '239.192.10.1:7947' },
      { code: 'EPERM', via: 'udp', target: '10.0.1.12:7946' },
      { code: 'ENETUNREACH', via: 'udp', target: '10.9.0.1:7946' },
    ]);
    now += 30_000;
    failures.failed('multicast', 'EPERM', '239.192.10.1:7947');
    expect(warnings[3]).toEqual({ code: 'EPERM', via: 'multicast', target: '239.192.10.1:7947', failedSinceLastWarning: 2 });
  });

  it('a UDP send the socket refuses is warned about with its code, and still counted', async () => {
    const dropped: string[] = [];
    const warnings: Array<{ msg: string; fields: Record<string, unknown> }> = [];
    const transport = new AgentTransport(
      { bind: '127.0.0.1', port: 0, multicast: null, key: Buffer.alloc(32, 1), warn: (msg, fields) => void warnings.push({ msg, fields }) },
      { packet: () => undefined, dropped: (reason) => void dropped.push(reason), sent: () => undefined },
    );
    await transport.start();
    try {
      // A socket bound to loopback cannot reach another host: the kernel refuses the send (EINVAL), as when the bound address vanished.
      transport.send(message, header, '10.255.255.1:7946', false);
      transport.send(message, header, '10.255.255.1:7946', false);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(dropped).toEqual(['sendFailed', 'sendFailed']);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toMatch(/send failed/);
      expect(warnings[0]!.fields).toEqual({ code: 'EINVAL', via: 'udp', target: '10.255.255.1:7946' });
    } finally {
      await transport.close();
    }
  });

  it('a multicast send a firewall refuses (EPERM) is warned about, and still counted', async () => {
    const dropped: string[] = [];
    const warnings: Array<Record<string, unknown>> = [];
    const options: TransportOptions = { bind: '127.0.0.1', port: 0, multicast: null, key: Buffer.alloc(32, 1), warn: (_msg, fields) => void warnings.push(fields) };
    const transport = new AgentTransport(options, { packet: () => undefined, dropped: (reason) => void dropped.push(reason), sent: () => undefined });
    await transport.start();
    // Started without the group (loopback takes no membership), then given it; the socket's send fails as under an OUTPUT DROP rule.
    options.multicast = { group: '239.192.10.1', port: 7947 };
    const socket = (transport as unknown as { unicast: Socket }).unicast;
    const eperm = Object.assign(new Error('send EPERM 239.192.10.1:7947'), { code: 'EPERM' });
    socket.send = ((...args: unknown[]) => (args.at(-1) as (error: Error) => void)(eperm)) as Socket['send'];
    try {
      transport.sendMulticast(message, header);
      expect(dropped).toEqual(['sendFailed']);
      expect(warnings).toEqual([{ code: 'EPERM', via: 'multicast', target: '239.192.10.1:7947' }]);
    } finally {
      await transport.close();
    }
  });
});
