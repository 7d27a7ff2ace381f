import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NOT_ANSWERING, parseStatusResponse, statusRequest } from '../../src/overlay/agent-view.js';

/** The question gridops asks each agent, run by a real shell against a real HTTP server on loopback. */
describe('asking an agent for its view', () => {
  let server: Server;
  let port = 0;
  let body = '';
  let code = 200;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/status' || req.method !== 'GET') return void res.writeHead(404).end();
      res.writeHead(code, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const ask = async (httpAddress = '127.0.0.1') => {
    const r = await execa('sh', ['-c', statusRequest({ httpAddress, httpPort: port })], { reject: false, timeout: 20_000 });
    return r.exitCode === 0 ? parseStatusResponse(r.stdout) : null;
  };

  it('reads the role, leaders and member count from /status', async () => {
    body = JSON.stringify({ role: 'leader', regionRole: 'leader', term: 7, superPeer: 'n1', regionPeer: 'n1', members: [{}, {}, {}] });
    code = 200;
    expect(await ask()).toEqual({ role: 'super-peer', regionRole: 'region-peer', term: 7, superPeer: 'n1', regionPeer: 'n1', members: 3 });
  });

  it('reads the voters its view lists besides the super peer (mirrors), for the rolling voter budget', async () => {
    body = JSON.stringify({ role: 'mirror', term: 3, superPeer: 'n1', regionPeer: null, members: [], mirrors: ['n2', 'n3'] });
    code = 200;
    expect(await ask()).toEqual({ role: 'mirror', term: 3, superPeer: 'n1', regionPeer: null, members: 0, mirrors: ['n2', 'n3'] });
  });

  it('reads the liveness a super peer or a mirror holds for its sub-grid (registry), for the voters a run does not reach', async () => {
    body = JSON.stringify({ role: 'leader', term: 4, superPeer: 'n1', regionPeer: null, members: [{ name: 'n1', liveness: 'alive' }, { name: 'n2', liveness: 'suspect' }, { name: 'n3', liveness: 'dead' }], mirrors: ['n2', 'n3'] });
    code = 200;
    expect(await ask()).toEqual({ role: 'super-peer', term: 4, superPeer: 'n1', regionPeer: null, members: 3, mirrors: ['n2', 'n3'], liveness: { n1: 'alive', n2: 'suspect', n3: 'dead' } });
    // A member keeps no registry: its empty list says nothing of anyone's liveness.
    body = JSON.stringify({ role: 'member', term: 4, superPeer: 'n1', regionPeer: null, members: [], mirrors: ['n2', 'n3'] });
    expect(await ask()).toEqual({ role: 'member', term: 4, superPeer: 'n1', regionPeer: null, members: 0, mirrors: ['n2', 'n3'] });
    // Entries without a name or a known liveness are not liveness.
    body = JSON.stringify({ role: 'mirror', term: 4, superPeer: 'n1', regionPeer: null, members: [{}, { name: 'n2', liveness: 'gone' }], mirrors: ['n2'] });
    expect(await ask()).toEqual({ role: 'mirror', term: 4, superPeer: 'n1', regionPeer: null, members: 2, mirrors: ['n2'] });
  });

  it('a wildcard bind is asked on loopback', async () => {
    body = JSON.stringify({ role: 'member', term: 2, superPeer: 'n1', regionPeer: null, members: [] });
    expect(await ask('0.0.0.0')).toEqual({ role: 'member', term: 2, superPeer: 'n1', regionPeer: null, members: 0 });
  });

  it('an error status, a body that is not a view, or nobody listening is no answer', async () => {
    code = 500;
    expect(await ask()).toBeNull();
    code = 200;
    body = '{"role": 3}';
    expect(await ask()).toBeNull();
    body = 'not json';
    expect(await ask()).toBeNull();
    const closed = await execa('sh', ['-c', statusRequest({ httpAddress: '127.0.0.1', httpPort: 1 })], { reject: false });
    expect(closed.exitCode).not.toBe(0);
    expect(NOT_ANSWERING.role).toBe('not answering');
  });

  it('an address with shell syntax in it stays one word of the script: nothing in it runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-agent-view-'));
    try {
      const marker = join(dir, 'ran');
      for (const httpAddress of [`127.0.0.1/1 ; touch ${marker} ; #`, `$(touch ${marker})`, `127.0.0.1/\`touch ${marker}\``, `'; touch ${marker}; '`]) {
        body = JSON.stringify({ role: 'member', term: 2, superPeer: 'n1', regionPeer: null, members: [] });
        expect(await ask(httpAddress)).toBeNull();
        expect(existsSync(marker)).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an IPv6 address with a zone id is still asked', () => {
    expect(statusRequest({ httpAddress: 'fe80::1%eth0', httpPort: 8080 })).toContain(`fe80::1%eth0`);
  });
  it('an agent that left the grid (gridagent leave) answers its idle status: read as left, since when, not as not answering (review s44 item 2)', () => {
    const left = { node: 'n2', region: 'r1', subgrid: 's1', left: true, leftAt: '2026-12-06T08:00:00.000Z', rejoin: 'to bring this node back…', version: '1.0.0' };
    const response = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n${JSON.stringify(left)}`;
    expect(parseStatusResponse(response)).toEqual({ role: 'left', leftAt: '2026-12-06T08:00:00.000Z', term: 0, superPeer: null, regionPeer: null, members: 0, version: '1.0.0' });
  });
  it('reads the version the running agent reports, for verify and the rolling gates; none from an agent that does not say, or says it as no string', () => {
    const answer = (extra: object) => `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n${JSON.stringify({ role: 'member', term: 2, superPeer: 'n1', regionPeer: null, members: [], ...extra })}`;
    expect(parseStatusResponse(answer({ version: '0.1.0' }))?.version).toBe('0.1.0');
    expect(parseStatusResponse(answer({}))).not.toHaveProperty('version');
    expect(parseStatusResponse(answer({ version: 1 }))).not.toHaveProperty('version');
    expect(parseStatusResponse(answer({ version: null }))).toEqual({ role: 'member', term: 2, superPeer: 'n1', regionPeer: null, members: 0 });
  });
});
