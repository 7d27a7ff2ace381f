/**
 * ssh.connectTimeout is each node's own (topology: defaults, region, sub-grid or node): a node
 * given 300 ms gives up on a host that hangs in its handshake after 300 ms, while a node left at
 * the default 10 s, of the same known_hosts file, still waits; directly, through a jump host (whose
 * channel to the target counts too) and through the connection keeper (--persist).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Fleet } from '../../src/transport/fleet.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { SilentHosts, eventually, nodesOf, startRecordingKeeper, startSsh2Server, writeKey, type Accepted } from './connect-support.js';

describe('ssh.connectTimeout, per node', () => {
  let dir: string;
  let hosts: SilentHosts;
  let knownHosts: string;
  let key: ReturnType<typeof writeKey>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-connect-timeout-'));
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, '');
    key = writeKey(join(dir, 'id'));
    hosts = await SilentHosts.start(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
  });
  afterAll(async () => {
    await hosts.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const defaults = () => `port: ${hosts.port}, knownHosts: ${knownHosts}, identityFile: ${key.file}`;
  const life = (a: Accepted | undefined) => (a?.closedAt === undefined ? undefined : a.closedAt - a.at);

  /**
   * Starts a run, waits until one connection at `address` was given up by the client and another
   * has been waiting 1.5 s, then stops the run. Returns how long the first lived and whether the
   * other was still open.
   */
  async function giveUpAndWait(fleet: Fleet, nodes: ReturnType<typeof nodesOf>, address: string | [string, string]) {
    const [fastAt, slowAt] = typeof address === 'string' ? [address, address] : address;
    const stop = new AbortController();
    const run = fleet.readEach(nodes, { concurrency: 2, acceptNewHostKeys: false, signal: stop.signal }, async () => 'read');
    const closedEarly = () => hosts.seen.get(fastAt)!.find((a) => a.closedAt !== undefined);
    const gaveUp = await eventually(() => closedEarly() !== undefined, 3000);
    const waiting = () => hosts.seen.get(slowAt)!.find((a) => a.closedAt === undefined && a !== closedEarly());
    await eventually(() => waiting() !== undefined, 1000);
    const other = waiting();
    if (other) await sleep(Math.max(0, other.at + 1500 - Date.now()));
    const stillOpen = other !== undefined && other.closedAt === undefined;
    stop.abort();
    hosts.dropAll();
    const { unreachable } = await run;
    await fleet.close();
    return { gaveUp, firstLifeMs: life(closedEarly()), stillOpen, unreachable: unreachable.map((u) => u.node.name).sort() };
  }

  beforeEach(() => {
    for (const list of hosts.seen.values()) list.length = 0;
  });

  it('a direct connection waits its own node\'s timeout, not the longest of its known_hosts file', async () => {
    const nodes = nodesOf(defaults(), ['{ name: fast, address: 127.0.0.1, ssh: { connectTimeout: 300ms } }', '{ name: slow, address: 127.0.0.2 }']);
    expect(nodes.map((n) => n.settings.ssh.connectTimeoutMs)).toEqual([300, 10_000]);
    const r = await giveUpAndWait(new Fleet(), nodes, ['127.0.0.1', '127.0.0.2']);
    expect(r.gaveUp).toBe(true);
    expect(r.firstLifeMs).toBeLessThan(1500);
    expect(r.stillOpen).toBe(true);
    expect(r.unreachable).toEqual(['fast', 'slow']);
  }, 15_000);

  it('through one jump host: the jump connection of each node gets that node\'s timeout', async () => {
    const jump = `jumpHost: "root@127.0.0.3:${hosts.port}"`;
    const nodes = nodesOf(defaults(), [`{ name: fast, address: 10.0.0.1, ssh: { connectTimeout: 300ms, ${jump} } }`, `{ name: slow, address: 10.0.0.2, ssh: { ${jump} } }`]);
    const r = await giveUpAndWait(new Fleet(), nodes, '127.0.0.3');
    expect(r.gaveUp).toBe(true);
    expect(r.firstLifeMs).toBeLessThan(1500);
    expect(r.stillOpen).toBe(true);
  }, 15_000);

  it("through a jump host that never opens the channel to the target: the target's timeout ends the wait", async () => {
    const jumpHost = await startSsh2Server((blob) => blob.equals(key.publicBlob));
    const giveUp = new AbortController();
    try {
      const t0 = Date.now();
      const outcome = await Promise.race([
        SshTransport.connect(
          { name: 'behind', host: '10.0.0.1', port: 22, identityFiles: [key.file], jumpHost: { host: '127.0.0.1', port: jumpHost.port, user: 'root', identityFile: key.file }, readyTimeoutMs: 400 },
          { knownHosts: await KnownHosts.load(join(dir, 'kh-jump')), acceptNewHostKeys: true, agentSocket: null, retry: { retries: 0, refusedRetries: 0, unansweredRetries: 0, baseDelayMs: 10, maxDelayMs: 10 } },
        ).then(
          async (t) => {
            await t.close();
            return 'connected';
          },
          (e: unknown) => e as Error,
        ),
        sleep(4000, 'still waiting after 4 s', { signal: giveUp.signal }).catch(() => 'cancelled'),
      ]);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toMatch(/behind: cannot connect to 10\.0\.0\.1:22: Timed out after 400 ms while waiting for the jump host to open a channel/);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      giveUp.abort();
      await jumpHost.stop();
    }
  }, 15_000);

  it('through the keeper (--persist): each connect carries its node\'s timeout', async () => {
    const keeperDir = mkdtempSync(join(tmpdir(), 'gridops-keeper-'));
    const saved = process.env.GRIDOPS_KEEPER_DIR;
    process.env.GRIDOPS_KEEPER_DIR = keeperDir;
    const keeper = await startRecordingKeeper(knownHosts, '');
    try {
      const nodes = nodesOf(defaults(), ['{ name: fast, address: 127.0.0.1, ssh: { connectTimeout: 2s } }', '{ name: slow, address: 127.0.0.2 }']);
      const fleet = new Fleet();
      const { unreachable } = await fleet.readEach(nodes, { concurrency: 2, acceptNewHostKeys: false, persistMs: 60_000 }, async () => 'read');
      await fleet.close();
      expect(unreachable.map((u) => u.node.name).sort()).toEqual(['fast', 'slow']);
      expect(Object.fromEntries(keeper.connects.map((c) => [c.spec.name, c.readyTimeoutMs]))).toEqual({ fast: 2000, slow: 10_000 });
    } finally {
      await keeper.stop();
      if (saved === undefined) delete process.env.GRIDOPS_KEEPER_DIR;
      else process.env.GRIDOPS_KEEPER_DIR = saved;
      rmSync(keeperDir, { recursive: true, force: true });
    }
  });
});
