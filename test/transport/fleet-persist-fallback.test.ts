/**
 * `--persist` (or GRIDOPS_PERSIST, as the warning then names it) with --accept-new-host-keys or a become password: the run connects
 * directly (the keeper records no host key and gets no become password), and says so once, on the run's own
 * output (ConnectOptions.warn). Without either, it goes through the keeper and says nothing, a global
 * known_hosts file with lines in it included (the keeper checks against it as a direct run does).
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet, type ConnectOptions } from '../../src/transport/fleet.js';
import { DEFAULT_GLOBAL_KNOWN_HOSTS } from '../../src/transport/global-known-hosts.js';
import { KeeperClient } from '../../src/transport/keeper-client.js';
import { keeperDir as keeperDirOf, keeperSocket } from '../../src/transport/keeper-protocol.js';
import { readKnownHostsTexts } from '../../src/transport/known-hosts.js';
import { nodesOf, startRecordingKeeper } from './connect-support.js';

describe('--persist that cannot be used', () => {
  let dir: string;
  let knownHosts: string;
  let keeperDir: string;
  let savedKeeperDir: string | undefined;
  let keeper: Awaited<ReturnType<typeof startRecordingKeeper>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-persist-'));
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, '');
    keeperDir = mkdtempSync(join(tmpdir(), 'gridops-keeper-'));
    savedKeeperDir = process.env.GRIDOPS_KEEPER_DIR;
    process.env.GRIDOPS_KEEPER_DIR = keeperDir;
    keeper = await startRecordingKeeper(knownHosts, '');
  });
  afterAll(async () => {
    await keeper.stop();
    if (savedKeeperDir === undefined) delete process.env.GRIDOPS_KEEPER_DIR;
    else process.env.GRIDOPS_KEEPER_DIR = savedKeeperDir;
    rmSync(keeperDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    keeper.connects.length = 0;
  });

  // Port 1 on loopback: nothing listens, and the run is stopped before any handshake anyway.
  const nodes = () => nodesOf(`port: 1, knownHosts: ${knownHosts}`, ['{ name: n1, address: 127.0.0.1 }', '{ name: n2, address: 127.0.0.2 }']);

  /** Two fan-outs of one run (a Fleet), stopped before any handshake; what it said, what the keeper was asked. */
  async function run(options: Partial<ConnectOptions>, stopped = true): Promise<{ said: string[]; kept: number }> {
    const said: string[] = [];
    const fleet = new Fleet();
    const stop = new AbortController();
    if (stopped) stop.abort();
    const connect: ConnectOptions = { concurrency: 2, acceptNewHostKeys: false, persistMs: 60_000, signal: stop.signal, warn: (m) => said.push(`warning: ${m}`), ...options };
    await fleet.readEach(nodes(), connect, async () => 'read');
    await fleet.readEach(nodes(), connect, async () => 'read');
    await fleet.close();
    return { said, kept: keeper.connects.length };
  }

  it('with a become password: says once that the connections are opened directly', async () => {
    const r = await run({ becomePrompt: async () => 'pw' });
    expect(r.said).toEqual(['warning: --persist is not used with a become password (no become password reaches the keeper): connections are opened directly and not kept']);
  });

  it('with --accept-new-host-keys: says once that the connections are opened directly', async () => {
    const r = await run({ acceptNewHostKeys: true });
    expect(r.said).toEqual(['warning: --persist is not used with --accept-new-host-keys (the keeper records no host key): connections are opened directly and not kept']);
  });

  it('with both: one line naming both', async () => {
    const r = await run({ acceptNewHostKeys: true, becomePrompt: async () => 'pw' });
    expect(r.said).toHaveLength(1);
    expect(r.said[0]).toMatch(/^warning: --persist is not used with --accept-new-host-keys .* and a become password .*: connections are opened directly/);
  });

  it('names GRIDOPS_PERSIST, not --persist, where the value came from the environment (there is no --persist on the command line to drop)', async () => {
    const r = await run({ acceptNewHostKeys: true, persistFromEnvironment: true });
    expect(r.said).toEqual(['warning: GRIDOPS_PERSIST is not used with --accept-new-host-keys (the keeper records no host key): connections are opened directly and not kept']);
  });

  it('also in the run log (--log-file)', async () => {
    const logged: string[] = [];
    const noop = () => undefined;
    await run({ acceptNewHostKeys: true, logger: { debug: noop, info: noop, warn: (_f, m) => logged.push(m) } });
    expect(logged).toEqual([expect.stringMatching(/^warning: --persist is not used with --accept-new-host-keys/)]);
  });

  it('without either: goes through the keeper and says nothing', async () => {
    const r = await run({}, false);
    expect(r.said).toEqual([]);
    expect(r.kept).toBe(4);
  });

  it('a keeper it cannot attach to (here, something not a socket at its name): says why once, and the run connects directly instead of failing', async () => {
    const otherKnownHosts = join(dir, 'known_hosts_unattachable');
    writeFileSync(otherKnownHosts, '# another content, so another keeper\n');
    const path = keeperSocket(keeperDirOf(), readKnownHostsTexts({ writable: otherKnownHosts, readOnly: DEFAULT_GLOBAL_KNOWN_HOSTS }));
    writeFileSync(path, '');
    try {
      const said: string[] = [];
      const fleet = new Fleet();
      const stop = new AbortController();
      stop.abort();
      const connect: ConnectOptions = { concurrency: 2, acceptNewHostKeys: false, persistMs: 60_000, signal: stop.signal, warn: (m) => said.push(`warning: ${m}`) };
      const unattachable = nodesOf(`port: 1, knownHosts: ${otherKnownHosts}`, ['{ name: n1, address: 127.0.0.1 }']);
      await fleet.readEach(unattachable, connect, async () => 'read');
      await fleet.readEach(unattachable, connect, async () => 'read');
      await fleet.close();
      expect(said).toEqual([expect.stringMatching(/^warning: --persist is not used: .*\.sock is not a socket \(remove .*\): connections are opened directly and not kept$/)]);
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('with a global known_hosts file (GlobalKnownHostsFile) that holds lines: goes through the keeper of both files, and says nothing', async () => {
    const global = join(dir, 'ssh_known_hosts');
    const revoked = '@revoked * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n';
    writeFileSync(global, revoked);
    const sshConfigFile = join(dir, 'ssh_config');
    writeFileSync(sshConfigFile, `Host *\n  GlobalKnownHostsFile ${global}\n`);
    // The keeper for the user's file and this global one, as they are now (the user-only keeper above is not it).
    const both = await startRecordingKeeper(knownHosts, '', true, [global]);
    try {
      const r = await run({ sshConfigFile }, false);
      expect(r.said).toEqual([]);
      expect(r.kept).toBe(0);
      expect(both.connects).toHaveLength(4);
    } finally {
      await both.stop();
    }
  });

  it("a keeper attached before a later set's attach fails otherwise than refusing (a bug, an unreadable file) is still let go of when the run closes", async () => {
    const otherKnownHosts = join(dir, 'known_hosts_failing');
    writeFileSync(otherKnownHosts, '# another set\n');
    const realAttach = KeeperClient.attach.bind(KeeperClient);
    const attach = jest.spyOn(KeeperClient, 'attach').mockImplementation(async (files, persistMs, env) => {
      if (files.writable === otherKnownHosts) throw new Error('not a refusal');
      return realAttach(files, persistMs, env);
    });
    const end = jest.spyOn(KeeperClient.prototype, 'end');
    try {
      const fleet = new Fleet();
      const connect: ConnectOptions = { concurrency: 2, acceptNewHostKeys: false, persistMs: 60_000 };
      const two = nodesOf(`port: 1, knownHosts: ${knownHosts}`, ['{ name: n1, address: 127.0.0.1 }', `{ name: n2, address: 127.0.0.2, ssh: { knownHosts: ${otherKnownHosts} } }`]);
      await expect(fleet.readEach(two, connect, async () => 'read')).rejects.toThrow('not a refusal');
      expect(attach).toHaveBeenCalledTimes(2);
      await fleet.close();
      // The keeper of the first set, attached before the failure: ended by close(), not left holding the run open.
      expect(end).toHaveBeenCalledTimes(1);
    } finally {
      attach.mockRestore();
      end.mockRestore();
    }
  });
});
