import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { warmProxy } from '../../src/lab/proxy.js';
import { suiteIndexUrls } from '../../src/lab/rootfs.js';

/** A stand-in proxy on loopback that records the request targets and how many were in flight at once. */
function fakeProxy(answer: (url: string) => number): Promise<{ server: Server; port: number; seen: string[]; maxInFlight: () => number }> {
  const seen: string[] = [];
  let inFlight = 0;
  let max = 0;
  const server = createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.url}`);
    max = Math.max(max, ++inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(answer(req.url!)).end('index');
    }, 20);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, seen, maxInFlight: () => max })));
}

describe('warmProxy: the lab prefetches the package indexes through its proxy', () => {
  const urls = suiteIndexUrls({ debian: 'http://mirror.example/debian', security: 'http://security.example/debian-security' });

  it('asks for each suite index once, one at a time, as apt would through a proxy', async () => {
    const proxy = await fakeProxy(() => 200);
    try {
      const problems = await warmProxy({ address: '127.0.0.1', port: proxy.port, cacheDir: '/nowhere' }, urls);
      expect(problems).toEqual([]);
      expect(proxy.seen).toEqual([
        'mirror.example http://mirror.example/debian/dists/bookworm/InRelease',
        'mirror.example http://mirror.example/debian/dists/bookworm-updates/InRelease',
        'security.example http://security.example/debian-security/dists/bookworm-security/InRelease',
      ]);
      expect(proxy.maxInFlight()).toBe(1);
    } finally {
      proxy.server.close();
    }
  });

  it('reports failures instead of throwing: an HTTP error and a proxy that does not answer', async () => {
    const proxy = await fakeProxy((url) => (url.includes('updates') ? 503 : 200));
    try {
      expect(await warmProxy({ address: '127.0.0.1', port: proxy.port, cacheDir: '/nowhere' }, urls)).toEqual([`${urls[1]}: HTTP 503`]);
    } finally {
      proxy.server.close();
    }
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const problems = await warmProxy({ address: '127.0.0.1', port: (silent.address() as AddressInfo).port, cacheDir: '/nowhere' }, urls.slice(0, 1), 200);
      expect(problems).toEqual([`${urls[0]}: no answer within 200 ms`]);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  // Ctrl-C while the nodes boot: `up` waited for the prefetch (up to 30 s per index) before it
  // could act on the interrupt.
  it('stops at once when interrupted: the request in flight is dropped and no other is sent', async () => {
    const silent = createServer(() => {});
    const seen: string[] = [];
    silent.on('request', (req) => seen.push(req.url!));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const proxy = { address: '127.0.0.1', port: (silent.address() as AddressInfo).port, cacheDir: '/nowhere' };
      const interrupt = new AbortController();
      setTimeout(() => interrupt.abort(), 100);
      const t0 = Date.now();
      expect(await warmProxy(proxy, urls, 30_000, interrupt.signal)).toEqual([]);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(seen).toEqual([urls[0]]);
      // Interrupted before it starts: nothing is asked.
      expect(await warmProxy(proxy, urls, 30_000, AbortSignal.abort())).toEqual([]);
      expect(seen).toEqual([urls[0]]);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
