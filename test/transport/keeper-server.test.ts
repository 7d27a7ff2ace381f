/**
 * The keeper process itself (keeper-server.ts), run in this process against an in-process ssh2
 * server whose commands answer after the `sleep N` they name: the end of its life does not cut an
 * attached run's command, it verifies against the known_hosts content the run named it after, and
 * a line that is no request ends only the client that sent it, a line past the bound is refused at
 * once, and an upload crosses the socket as a path: the keeper reads the file itself. The global
 * known_hosts files (GlobalKnownHostsFile) count in the keeper as in a direct run: a `@revoked`
 * line there refuses the host, and a changed global file means another keeper. A connection the
 * keeper opens logs in with the asking run's ssh-agent, not the one the keeper started with.
 */
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostKeyError } from '../../src/errors/index.js';
import { KeeperClient } from '../../src/transport/keeper-client.js';
import { KEEPER_MAX_REQUEST_CHARS, keeperSocket } from '../../src/transport/keeper-protocol.js';
import { runKeeper, type KeeperOptions } from '../../src/transport/keeper-server.js';
import { formatKnownHostsLine, type KnownHostsText } from '../../src/transport/known-hosts.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { startEmptyAgent, writeKey } from './connect-support.js';
import { dialKeeper, startSleepingHost, until } from './keeper-test-host.js';

describe('the keeper process', () => {
  let dir: string;
  let host: Awaited<ReturnType<typeof startSleepingHost>>;
  let keyFile: string;
  let knownHostsFile: string;
  let knownHostsLine: string;
  let savedAgent: string | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-keeper-server-'));
    const key = writeKey(join(dir, 'id_ed25519'));
    keyFile = key.file;
    host = await startSleepingHost(key.publicBlob);
    knownHostsFile = join(dir, 'known_hosts');
    knownHostsLine = `${formatKnownHostsLine('127.0.0.1', host.port, host.hostKey)}\n`;
    savedAgent = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
  });
  afterAll(async () => {
    await host.stop();
    if (savedAgent !== undefined) process.env.SSH_AUTH_SOCK = savedAgent;
    rmSync(dir, { recursive: true, force: true });
  });

  const spec = () => ({ name: 'n1', host: '127.0.0.1', port: host.port, user: 'root', identityFiles: [keyFile], readyTimeoutMs: 5000 });
  /**
   * A keeper whose file on disk holds `onDisk` while the run named it after (and handed it) the
   * host's key, and `globals` (read-only files) as the run read them.
   */
  function startKeeper(options: Partial<KeeperOptions>, onDisk = knownHostsLine, globals: KnownHostsText[] = [], handed = knownHostsLine): { socket: string; ended: Promise<void> } {
    writeFileSync(knownHostsFile, onDisk);
    const sockDir = mkdtempSync(join(dir, 'sock-'));
    const knownHosts = [{ file: knownHostsFile, text: handed, readOnly: false }, ...globals];
    const socket = keeperSocket(sockDir, knownHosts);
    const ended = runKeeper({ socket, knownHosts, idleMs: 60_000, maxMs: 60_000, ...options });
    return { socket, ended };
  }

  it('takes no new run near the end of its life, and lets an attached run finish its command', async () => {
    const keeper = startKeeper({ maxMs: 1500, drainMs: 20_000 });
    expect(await until(() => existsSync(keeper.socket), 5000)).toBe(true);
    const run = await dialKeeper(keeper.socket);
    const connected = await run.ask({ op: 'connect', spec: spec(), readyTimeoutMs: 5000, persistMs: 60_000 });
    expect(connected.ok).toBe(true);
    const conn = (connected.value as { conn: string }).conn;
    const started = Date.now();
    const command = run.ask({ op: 'exec', conn, command: 'sleep 5' });
    // Past its admissions: the socket is gone, so the next run starts a keeper of its own (or connects directly).
    expect(await until(() => !existsSync(keeper.socket), 3000)).toBe(true);
    await expect(dialKeeper(keeper.socket)).rejects.toThrow();
    const result = await command;
    expect(result).toMatchObject({ ok: true, value: { code: 0, stdout: 'done\n' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
    // The attached run can still open connections (a host it reaches later in its fan-out).
    expect((await run.ask({ op: 'connect', spec: spec(), readyTimeoutMs: 5000, persistMs: 60_000 })).ok).toBe(true);
    run.socket.end();
    // Its last run gone, the draining keeper ends at once.
    await keeper.ended;
  }, 20_000);

  it('ends at the hard bound, past its admissions and its drain, whatever is still running', async () => {
    const keeper = startKeeper({ maxMs: 500, drainMs: 1000 });
    expect(await until(() => existsSync(keeper.socket), 5000)).toBe(true);
    const run = await dialKeeper(keeper.socket);
    const conn = ((await run.ask({ op: 'connect', spec: spec(), readyTimeoutMs: 5000, persistMs: 60_000 })).value as { conn: string }).conn;
    const command = run.ask({ op: 'exec', conn, command: 'sleep 5' });
    await expect(command).rejects.toThrow('the keeper went away');
    await keeper.ended;
  }, 20_000);

  it('verifies host keys against the known_hosts content it was handed, not the file as it is later', async () => {
    // The file changed between the run's read (which named the socket) and the keeper's start.
    const keeper = startKeeper({ idleMs: 0 }, '');
    expect(await until(() => existsSync(keeper.socket), 5000)).toBe(true);
    const run = await dialKeeper(keeper.socket);
    const connected = await run.ask({ op: 'connect', spec: spec(), readyTimeoutMs: 5000, persistMs: 0 });
    expect(connected).toMatchObject({ ok: true });
    run.socket.end();
    await keeper.ended;
  }, 20_000);

  it('a line that is no request ends only the client that sent it; the keeper serves the others', async () => {
    const keeper = startKeeper({ idleMs: 0 });
    expect(await until(() => existsSync(keeper.socket), 5000)).toBe(true);
    const other = await dialKeeper(keeper.socket);
    for (const line of ['null', 'garbage', '{"id":1}', '{"id":2,"op":"exec","conn":3}', '[1,2]']) {
      const bad = await dialKeeper(keeper.socket);
      bad.socket.write(`${line}\n`);
      await bad.closed;
    }
    const answer = await other.ask({ op: 'exec', conn: 'none', command: 'true' });
    expect(answer).toMatchObject({ ok: false, error: { message: expect.stringContaining('the kept connection is gone') } });
    expect(existsSync(keeper.socket)).toBe(true);
    other.socket.end();
    await keeper.ended;
  }, 20_000);

  it('refuses a request line past the bound as soon as it crosses it, with an error for its id, and serves the next request', async () => {
    const keeper = startKeeper({ idleMs: 0 });
    expect(await until(() => existsSync(keeper.socket), 5000)).toBe(true);
    const run = await dialKeeper(keeper.socket);
    // The id first, as the client writes it; the line's end is never sent while the answer is awaited.
    const refused = run.ask({ op: 'exec', conn: 'none', command: 'true' });
    run.socket.write(`{"id":99,"op":"exec","conn":"none","stdin":"`);
    const reply = new Promise<{ id: number; ok: boolean; error?: { message: string } }>((resolve) =>
      run.socket.on('data', (d: string) => {
        for (const line of d.split('\n')) if (line.startsWith('{"id":99')) resolve(JSON.parse(line));
      }),
    );
    const piece = 'A'.repeat(1024 * 1024);
    for (let sent = 0; sent <= KEEPER_MAX_REQUEST_CHARS; sent += piece.length) run.socket.write(piece);
    const started = Date.now();
    expect(await reply).toMatchObject({ id: 99, ok: false, error: { message: expect.stringMatching(/request .* over 16 MiB/) } });
    expect(Date.now() - started).toBeLessThan(5000);
    run.socket.write('A'.repeat(1024) + '"}\n');
    // The first request (sent before the long line) was answered, and so is the next one.
    expect(await refused).toMatchObject({ ok: false, error: { message: expect.stringContaining('the kept connection is gone') } });
    expect(await run.ask({ op: 'exec', conn: 'none', command: 'true' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('the kept connection is gone') } });
    run.socket.end();
    await keeper.ended;
  }, 30_000);

  it('an upload crosses the socket as the local path: the keeper streams the file itself, and refuses a relative path', async () => {
    const keeper = startKeeper({ idleMs: 0 });
    expect(await until(() => existsSync(keeper.socket), 5000)).toBe(true);
    const image = join(dir, 'image.raw');
    writeFileSync(image, Buffer.alloc(8 * 1024 * 1024, 7));
    const uploads: unknown[] = [];
    const upload = jest.spyOn(SshTransport.prototype, 'upload').mockImplementation(async (path, content, options) => void uploads.push({ path, content, options }));
    let socketBytes = 0;
    const write = jest.spyOn(Socket.prototype, 'write');
    try {
      const client = await KeeperClient.attach({ writable: knownHostsFile, readOnly: [] }, 0, { GRIDOPS_KEEPER_DIR: keeper.socket.slice(0, keeper.socket.lastIndexOf('/')) });
      const host = await client.connect(spec(), 5000);
      write.mockClear();
      await host.upload('/var/lib/gridops/staging/base-image.part', { localPath: image }, { mode: 0o600, rootOnlyDir: true });
      for (const [chunk] of write.mock.calls) socketBytes += Buffer.byteLength(chunk as string | Buffer);
      expect(uploads).toEqual([{ path: '/var/lib/gridops/staging/base-image.part', content: { localPath: image }, options: { mode: 0o600, rootOnlyDir: true } }]);
      // The request and its answer only: none of the image's 8 MiB (11 MiB as base64) crossed.
      expect(socketBytes).toBeLessThan(4096);
      // A request past the keeper's bound is refused by the run itself, before it writes any of it.
      write.mockClear();
      await expect(host.exec('cat', { stdin: Buffer.alloc(13 * 2 ** 20) })).rejects.toThrow(/over 16 MiB/);
      expect(write).not.toHaveBeenCalled();
      await host.close();
      client.end();
    } finally {
      write.mockRestore();
      upload.mockRestore();
    }
    const run = await dialKeeper(keeper.socket);
    const conn = ((await run.ask({ op: 'connect', spec: spec(), readyTimeoutMs: 5000, persistMs: 0 })).value as { conn: string }).conn;
    // The keeper's working directory is not the run's: a relative path would name another file.
    expect(await run.ask({ op: 'upload', conn, path: '/x', localPath: 'image.raw' })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/not an absolute path/) } });
    run.socket.end();
    await keeper.ended;
  }, 30_000);

  it("refuses a host whose key a global known_hosts file revokes, through KeeperClient.attach with that file: the global file's text is in the socket's name", async () => {
    const global = join(dir, 'ssh_known_hosts');
    const revoked = `@revoked ${formatKnownHostsLine('127.0.0.1', host.port, host.hostKey)}\n`;
    writeFileSync(global, revoked);
    const keeper = startKeeper({ idleMs: 0 }, knownHostsLine, [{ file: global, text: revoked, readOnly: true }]);
    expect(await until(() => existsSync(keeper.socket), 5000)).toBe(true);
    const sockDir = keeper.socket.slice(0, keeper.socket.lastIndexOf('/'));
    // The run's side names the same socket from the files as they are: it reaches this keeper, and no other.
    const client = await KeeperClient.attach({ writable: knownHostsFile, readOnly: [global] }, 0, { GRIDOPS_KEEPER_DIR: sockDir });
    expect(client.socketPath).toBe(keeper.socket);
    const refused = await client.connect(spec(), 5000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HostKeyError);
    expect((refused as Error).message).toContain(`is marked @revoked in ${global}:1`);
    client.end();
    await keeper.ended;
  }, 20_000);

  it("trusts a host certificate signed by a global known_hosts file's @cert-authority, the host's key being in no file", async () => {
    const ca = join(dir, 'ca');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ca', '-f', ca]);
    const hostPub = join(dir, 'host_key.pub');
    writeFileSync(hostPub, `ssh-ed25519 ${host.hostKey.toString('base64')} host\n`);
    execFileSync('ssh-keygen', ['-q', '-s', ca, '-I', 'host', '-h', '-n', '127.0.0.1', hostPub]);
    // The certificate as the host's sshd would serve it (HostCertificate) to ssh-keyscan -c: the in-process server cannot.
    const bin = mkdtempSync(join(dir, 'bin-'));
    writeFileSync(join(bin, 'ssh-keyscan'), `#!/bin/sh\necho "[127.0.0.1]:${host.port} ${readFileSync(join(dir, 'host_key-cert.pub'), 'utf8').trim()}"\n`, { mode: 0o755 });
    const global = join(dir, 'ssh_known_hosts_ca');
    const trusted = `@cert-authority [127.0.0.1]:* ${readFileSync(`${ca}.pub`, 'utf8').trim()}\n`;
    writeFileSync(global, trusted);
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath ?? ''}`;
    const keeper = startKeeper({ idleMs: 0 }, '', [{ file: global, text: trusted, readOnly: true }], '');
    try {
      expect(await until(() => existsSync(keeper.socket), 5000)).toBe(true);
      const client = await KeeperClient.attach({ writable: knownHostsFile, readOnly: [global] }, 0, { GRIDOPS_KEEPER_DIR: keeper.socket.slice(0, keeper.socket.lastIndexOf('/')) });
      const t = await client.connect(spec(), 5000);
      expect(await t.exec('echo kept')).toMatchObject({ code: 0, stdout: 'done\n' });
      await t.close();
      client.end();
      await keeper.ended;
      // Trusted, not recorded: the keeper wrote no known_hosts file, the global one least of all.
      expect(readFileSync(knownHostsFile, 'utf8')).toBe('');
      expect(readFileSync(global, 'utf8')).toBe(trusted);
    } finally {
      process.env.PATH = savedPath;
    }
  }, 20_000);

  it("opens a connection with the asking run's ssh-agent, not the keeper's own; a kept connection serves a run with another agent", async () => {
    const agentSocket = join(dir, 'run-agent.sock');
    const agent = await startEmptyAgent(agentSocket);
    // The keeper's own agent is gone: the operator logged in again (`ssh -A`), with a new socket.
    process.env.SSH_AUTH_SOCK = join(dir, 'ssh-OLD', 'agent.1');
    const keeper = startKeeper({ idleMs: 0 });
    let run: Awaited<ReturnType<typeof dialKeeper>> | undefined;
    try {
      expect(await until(() => existsSync(keeper.socket), 5000)).toBe(true);
      run = await dialKeeper(keeper.socket);
      const refused = await run.ask({ op: 'connect', spec: { ...spec(), identityFiles: [] }, readyTimeoutMs: 5000, persistMs: 0, agentSocket });
      expect(refused.ok).toBe(false);
      expect(refused.error!.message).toContain(`the keys of the ssh-agent (SSH_AUTH_SOCK=${agentSocket})`);
      expect(agent.asked()).toBeGreaterThan(0);
      // Logged in already: another run's agent does not matter to the connection it finds kept.
      const first = await run.ask({ op: 'connect', spec: spec(), readyTimeoutMs: 5000, persistMs: 0, agentSocket });
      const again = await run.ask({ op: 'connect', spec: spec(), readyTimeoutMs: 5000, persistMs: 0, agentSocket: join(dir, 'other-agent.sock') });
      expect(first).toMatchObject({ ok: true, value: { reused: false } });
      expect(again).toMatchObject({ ok: true, value: { reused: true, conn: (first.value as { conn: string }).conn } });
    } finally {
      run?.socket.end();
      await keeper.ended;
      delete process.env.SSH_AUTH_SOCK;
      await agent.stop();
    }
  }, 20_000);

  it('a changed global known_hosts file, or another one, names another keeper', () => {
    const user = { file: knownHostsFile, text: knownHostsLine, readOnly: false };
    const global = (text: string, file = '/etc/ssh/ssh_known_hosts') => ({ file, text, readOnly: true });
    const before = keeperSocket('/k', [user, global('')]);
    expect(keeperSocket('/k', [user, global('')])).toBe(before);
    expect(keeperSocket('/k', [user, global('@revoked * ssh-ed25519 AAAA\n')])).not.toBe(before);
    expect(keeperSocket('/k', [user, global('', '/etc/ssh/ssh_known_hosts2')])).not.toBe(before);
    expect(keeperSocket('/k', [user])).not.toBe(before);
  });
});
