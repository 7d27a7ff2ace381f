import type { Message } from '../../src/agent/core/types.js';
import { AgentTransport } from '../../src/agent/runtime/transport.js';

/**
 * A send after the transport closed (a seed's or the region peer's name answered once the agent
 * was leaving) is a dropped send, not a throw: made from a lookup's promise callback, a throw
 * would end the agent as an unhandled rejection.
 */
describe('the agent transport after close', () => {
  it('counts a UDP send after close as sendFailed, and does not throw', async () => {
    const dropped: string[] = [];
    const sent: string[] = [];
    const transport = new AgentTransport(
      { bind: '127.0.0.1', port: 0, multicast: null, key: Buffer.alloc(32, 1) },
      { packet: () => undefined, dropped: (reason) => void dropped.push(reason), sent: (_m, _b, via) => void sent.push(via) },
    );
    await transport.start();
    await transport.close();
    const message = { type: 'announce', group: 's1', from: 'n1', term: 1 } as Message;
    expect(() => transport.send(message, { epoch: 1, seq: 1, nonce: 1, echo: 0 }, '127.0.0.1:9', false)).not.toThrow();
    expect(dropped).toEqual(['sendFailed']);
    expect(sent).toEqual([]);
  });
});
