import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentRefusedError, agentRequest } from '../../src/agent/runtime/agent-request.js';

/**
 * The one HTTP exchange of `gridagent status` and `gridagent leave` with the running agent
 * (review s45 6: each had its own copy): the JSON of a 200, AgentRefusedError with the status and
 * the body otherwise, and a timeout that names the agent's address.
 */
let server: Server;
let port: number;
let seen: { method?: string; url?: string; headers: IncomingHttpHeaders }[];
let answer: { status: number; body: string; delayMs?: number };

beforeEach(async () => {
  seen = [];
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    setTimeout(() => res.writeHead(answer.status).end(answer.body), answer.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('agentRequest', () => {
  it('sends the method, path and headers, and resolves with the JSON of a 200', async () => {
    answer = { status: 200, body: '{"left":true,"successor":"n2"}' };
    expect(await agentRequest('127.0.0.1', port, { method: 'POST', path: '/leave', headers: { 'x-test': 'yes' } }, 1000)).toEqual({ left: true, successor: 'n2' });
    expect(seen).toMatchObject([{ method: 'POST', url: '/leave', headers: { 'x-test': 'yes' } }]);
  });

  it('rejects another status with AgentRefusedError: the status and what the agent said', async () => {
    answer = { status: 403, body: 'POST /leave needs the token\n' };
    const refused = await agentRequest('127.0.0.1', port, { method: 'GET', path: '/status' }, 1000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AgentRefusedError);
    expect(refused).toMatchObject({ status: 403, reason: 'POST /leave needs the token', message: 'HTTP 403: POST /leave needs the token' });
  });

  it('rejects a body that is not JSON, and an agent that does not answer in time', async () => {
    answer = { status: 200, body: 'not json' };
    await expect(agentRequest('127.0.0.1', port, { method: 'GET', path: '/status' }, 1000)).rejects.toThrow(SyntaxError);
    answer = { status: 200, body: '{}', delayMs: 500 };
    await expect(agentRequest('127.0.0.1', port, { method: 'GET', path: '/status' }, 50)).rejects.toThrow(`no answer from 127.0.0.1:${port} within 50 ms`);
  });
});
