import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startHttpServer, stopHttpServer } from '../../src/agent/runtime/http-server.js';
import { requestLeave } from '../../src/agent/runtime/status-command.js';

describe("the agent's HTTP server", () => {
  it('stops at once while a client holds a connection that is not idle', async () => {
    const server = await startHttpServer('127.0.0.1', 0, { status: () => ({ role: 'member' }), metrics: () => '' });
    const port = (server.address() as AddressInfo).port;
    // A request still being sent: the connection is busy. (On the nodes' Node 18, close() also
    // waits for idle keep-alive connections, which a client that polls never leaves idle for long.)
    const client = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    client.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    // Bounded, so that a regression fails here instead of hanging the run; the bound is cleared,
    // or its pending timer keeps jest (in band on 2 cores) from exiting for 2 s after the run.
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([stopHttpServer(server), new Promise((r) => (bound = setTimeout(r, 2000)))]);
    clearTimeout(bound);
    const ms = performance.now() - t0;
    client.destroy();
    server.closeAllConnections();
    expect(ms).toBeLessThan(500);
  });

  it('POST /leave (gridagent leave) answers once the agent has left; GET stays read-only', async () => {
    let leaves = 0;
    const server = await startHttpServer('127.0.0.1', 0, {
      status: () => ({ role: 'member' }),
      metrics: () => '',
      leave: async () => {
        leaves++;
        await new Promise((r) => setTimeout(r, 50));
        return { left: true, successor: 'n2' };
      },
    });
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await requestLeave('127.0.0.1', port)).toEqual({ left: true, successor: 'n2' });
      expect(leaves).toBe(1);
      const get = await fetch(`http://127.0.0.1:${port}/leave`);
      expect(get.status).toBe(404);
      expect(leaves).toBe(1);
    } finally {
      await stopHttpServer(server);
    }
  });
});
