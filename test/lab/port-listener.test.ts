import { createServer, type Server } from 'node:net';
import { listenersOn, pidListensOn, wildcardListenerOn } from '../../src/lab/port-listener.js';
import { preflightProblems, type MachineFacts } from '../../src/lab/preflight.js';

const listen = (host: string) =>
  new Promise<{ server: Server; port: number }>((resolve) => {
    const server = createServer();
    server.listen(0, host, () => resolve({ server, port: (server.address() as { port: number }).port }));
  });

describe('who listens on a port (a distribution apt-cacher-ng on *:3142 answers for the lab proxy that failed to bind)', () => {
  test('a server on 0.0.0.0 is this process\'s, and listens on every address', async () => {
    const { server, port } = await listen('0.0.0.0');
    try {
      expect(pidListensOn(process.pid, port)).toBe(true);
      expect(wildcardListenerOn(port)).toBe(true);
      expect(pidListensOn(1, port)).toBe(false);
    } finally {
      server.close();
    }
  });

  test('a server on one address is not a wildcard listener', async () => {
    const { server, port } = await listen('127.0.0.1');
    try {
      expect(pidListensOn(process.pid, port)).toBe(true);
      expect(wildcardListenerOn(port)).toBe(false);
    } finally {
      server.close();
    }
  });

  test('/proc/net/tcp lines: only LISTEN sockets of that port', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:0C46 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0',
      '   1: 0100E70A:0C46 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 100 0 0 10 0',
      '   2: 0100007F:0C46 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    expect(listenersOn(3142, [table])).toEqual([
      { wildcard: true, inode: 4242 },
      { wildcard: false, inode: 4343 },
    ]);
  });
});

describe('preflight', () => {
  const ok: MachineFacts = { platform: 'linux', uid: 0, has: () => true, v1Controllers: ['cpu', 'cpuacct', 'memory', 'pids'], memAvailableMiB: 24_000, devices: { tun: true } };
  test('something on *:3142 (the distribution apt-cacher-ng) is a problem for every kind, with the systemctl line', () => {
    for (const kind of ['container', 'netns', 'vm'] as const) {
      const [p] = preflightProblems(kind, 1, { ...ok, proxyPortTaken: true });
      expect(p!.message).toMatch(/port 3142 .* every address/);
      expect(p!.hint).toMatch(/systemctl disable --now apt-cacher-ng/);
    }
  });
});
