import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DEFAULT_HTTP_LIMITS, startHttpServer, stopHttpServer } from '../../src/agent/runtime/http-server.js';
import { LEAVE_NOT_RECORDED_HTTP_STATUS, LeaveNotRecordedError } from '../../src/agent/runtime/leave-not-recorded.js';
import { LEAVE_TOKEN_HEADER } from '../../src/agent/runtime/leave-token.js';
import { AgentRefusedError } from '../../src/agent/runtime/agent-request.js';
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
      leaveToken: 'the-token',
    });
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await requestLeave('127.0.0.1', port, 'the-token')).toEqual({ left: true, successor: 'n2' });
      expect(leaves).toBe(1);
      const get = await fetch(`http://127.0.0.1:${port}/leave`);
      expect(get.status).toBe(404);
      expect(leaves).toBe(1);
    } finally {
      await stopHttpServer(server);
    }
  });

  it('POST /leave without the token, or with another, is refused (403) and the agent stays', async () => {
    let leaves = 0;
    const server = await startHttpServer('0.0.0.0', 0, {
      status: () => ({ role: 'member' }),
      metrics: () => '',
      leave: async () => {
        leaves++;
        return { left: true, successor: null };
      },
      leaveToken: 'the-token',
    });
    const port = (server.address() as AddressInfo).port;
    try {
      await expect(requestLeave('127.0.0.1', port, undefined)).rejects.toThrow(AgentRefusedError);
      await expect(requestLeave('127.0.0.1', port, 'the-token2')).rejects.toThrow(/HTTP 403: POST \/leave needs the token/);
      await expect(requestLeave('127.0.0.1', port, '')).rejects.toThrow(/HTTP 403/);
      const raw = await fetch(`http://127.0.0.1:${port}/leave`, { method: 'POST', headers: { [LEAVE_TOKEN_HEADER]: 'THE-TOKEN' } });
      expect(raw.status).toBe(403);
      expect(leaves).toBe(0);
    } finally {
      await stopHttpServer(server);
    }
  });

  it('a leave the agent could not record answers 507 with its reason, told apart from a refusal (gridagent leave exits 73 on it)', async () => {
    const server = await startHttpServer('127.0.0.1', 0, {
      status: () => ({ role: 'member' }),
      metrics: () => '',
      leave: async () => {
        throw new LeaveNotRecordedError('this node did not leave the grid, and is still a member of it');
      },
      leaveToken: 'the-token',
    });
    const port = (server.address() as AddressInfo).port;
    try {
      const refused = await requestLeave('127.0.0.1', port, 'the-token').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(AgentRefusedError);
      expect({ status: (refused as AgentRefusedError).status, reason: (refused as AgentRefusedError).reason }).toEqual({ status: LEAVE_NOT_RECORDED_HTTP_STATUS, reason: 'this node did not leave the grid, and is still a member of it' });
    } finally {
      await stopHttpServer(server);
    }
  });

  it('an agent started without a token refuses every POST /leave', async () => {
    let leaves = 0;
    const server = await startHttpServer('127.0.0.1', 0, { status: () => ({}), metrics: () => '', leave: async () => ({ left: (leaves++, true), successor: null }) });
    const port = (server.address() as AddressInfo).port;
    try {
      await expect(requestLeave('127.0.0.1', port, undefined)).rejects.toThrow(/HTTP 403/);
      expect(leaves).toBe(0);
    } finally {
      await stopHttpServer(server);
    }
  });

  it('a status that cannot be built answers 500 with the reason, and the server keeps serving', async () => {
    let broken = true;
    const server = await startHttpServer('127.0.0.1', 0, {
      status: () => ({ role: 'member' }),
      statusVersion: () => {
        if (broken) throw new Error('no core to ask');
        return 1;
      },
      metrics: () => '',
    });
    const port = (server.address() as AddressInfo).port;
    try {
      const failed = await fetch(`http://127.0.0.1:${port}/status`);
      expect(failed.status).toBe(500);
      expect(await failed.text()).toContain('no core to ask');
      broken = false;
      const ok = await fetch(`http://127.0.0.1:${port}/status`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ role: 'member' });
    } finally {
      await stopHttpServer(server);
    }
  });

  it('/status is compact JSON built once per tick however many ask, and the server bounds its connections and slow requests', async () => {
    let builds = 0;
    let tick = 1;
    const members = Array.from({ length: 2000 }, (_, i) => ({ name: `node-${i}`, liveness: 'alive', labels: { rack: 'r1' } }));
    const server = await startHttpServer('127.0.0.1', 0, { status: () => ({ builds: ++builds, members }), statusVersion: () => tick, metrics: () => '' });
    const port = (server.address() as AddressInfo).port;
    try {
      expect({ maxConnections: server.maxConnections, headersTimeout: server.headersTimeout, requestTimeout: server.requestTimeout }).toEqual({ maxConnections: 64, headersTimeout: 5_000, requestTimeout: 5_000 });
      expect(server.keepAliveTimeout).toBeLessThanOrEqual(1_000);
      const bodies = await Promise.all(Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}/status`).then((r) => r.text())));
      expect(builds).toBe(1);
      expect(new Set(bodies).size).toBe(1);
      expect(bodies[0]).not.toContain('\n  ');
      expect(JSON.parse(bodies[0]!).members).toHaveLength(2000);
      tick++;
      await fetch(`http://127.0.0.1:${port}/status`).then((r) => r.text());
      expect(builds).toBe(2);
    } finally {
      await stopHttpServer(server);
    }
  });

  it('a client that never finishes its headers is cut off, and connections beyond the bound are closed at once', async () => {
    const limits = { ...DEFAULT_HTTP_LIMITS, maxConnections: 4, headersTimeoutMs: 300, requestTimeoutMs: 300, checkIntervalMs: 100 };
    const server = await startHttpServer('127.0.0.1', 0, { status: () => ({}), metrics: () => '' }, limits);
    const port = (server.address() as AddressInfo).port;
    const closedAfter = (write: boolean): Promise<number> =>
      new Promise((resolve) => {
        const t0 = performance.now();
        const client = connect({ host: '127.0.0.1', port }, () => void (write && client.write('GET /status HTTP/1.1\r\nHost: x\r\n')));
        client.on('error', () => undefined);
        client.on('data', () => undefined);
        client.once('close', () => resolve(performance.now() - t0));
        setTimeout(() => client.destroy(), 3_000);
      });
    try {
      const held = Array.from({ length: 4 }, () => closedAfter(true));
      await new Promise((r) => setTimeout(r, 50));
      // The fifth, while four are held: closed by the server, well before the slow ones time out.
      expect(await closedAfter(false)).toBeLessThan(250);
      for (const ms of await Promise.all(held)) expect(ms).toBeLessThan(1_500);
    } finally {
      await stopHttpServer(server);
    }
  });
});
