/**
 * Which hosts a run dials early (transport/fleet.ts with early-dials.ts), seen from TCP listeners on
 * loopback addresses standing in for hosts: no SSH is spoken, the run is stopped before any
 * handshake (an aborted signal), so what reaches each listener is the early dial alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkTopologyText } from '../../src/topology/load.js';
import { allNodes } from '../../src/topology/model.js';
import { Fleet } from '../../src/transport/fleet.js';

const ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

describe('Fleet: early dials', () => {
  let dir: string;
  let port: number;
  const servers: Server[] = [];
  const seen = new Map<string, Socket[]>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-fleet-dials-'));
    writeFileSync(join(dir, 'known_hosts'), '');
    // The run checks that the identity file is there before its dials; the stopped runs never read it.
    writeFileSync(join(dir, 'id'), '');
    // One port on three loopback addresses: each address is a host.
    port = 0;
    for (const address of ADDRESSES) {
      const server = createServer((socket) => {
        socket.on('error', () => undefined);
        seen.get(address)!.push(socket);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, address, () => resolve());
      });
      port = (server.address() as { port: number }).port;
      servers.push(server);
    }
  });
  beforeEach(() => {
    for (const a of ADDRESSES) seen.set(a, []);
  });
  afterAll(async () => {
    for (const sockets of seen.values()) for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  const nodesOf = (extra = '') => {
    const text = `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults:
  ssh: { port: ${port}, knownHosts: ${join(dir, 'known_hosts')}, identityFile: ${join(dir, 'id')} }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 127.0.0.1${extra} }
          - { name: n2, address: 127.0.0.2 }
          - { name: n3, address: 127.0.0.3 }
`;
    const { grid, problems } = checkTopologyText('t.yaml', text);
    if (!grid) throw new Error(problems.map((p) => p.message).join('\n'));
    return allNodes(grid);
  };

  /** A run stopped before its first handshake: only the early dials reach the hosts. */
  async function stoppedRun(extra: string, concurrency: number): Promise<Fleet> {
    const fleet = new Fleet();
    const stop = new AbortController();
    stop.abort();
    const { results, unreachable } = await fleet.readEach(nodesOf(extra), { concurrency, acceptNewHostKeys: false, signal: stop.signal }, async () => 'read');
    expect(results).toEqual([]);
    expect(unreachable.map((u) => u.node.name)).toEqual(['n1', 'n2', 'n3']);
    return fleet;
  }

  async function accepted(): Promise<Record<string, number>> {
    await sleep(150);
    return Object.fromEntries(ADDRESSES.map((a) => [a, seen.get(a)!.length]));
  }

  it('dials the first --concurrency hosts, in the fan-out order, and closes them with the run', async () => {
    const fleet = await stoppedRun('', 2);
    expect(await accepted()).toEqual({ '127.0.0.1': 1, '127.0.0.2': 1, '127.0.0.3': 0 });
    const ended = seen.get('127.0.0.1')!.map((s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve()))));
    await fleet.close();
    await Promise.all(ended);
  });

  it('does not dial a host reached through a jump host', async () => {
    const fleet = await stoppedRun(', ssh: { jumpHost: "admin@127.0.0.9:1" }', 3);
    expect(await accepted()).toEqual({ '127.0.0.1': 0, '127.0.0.2': 1, '127.0.0.3': 1 });
    await fleet.close();
  });
});
