/**
 * The connection keeper (`--persist`) against a real sshd on 127.0.0.1: connections survive the
 * run that opened them and are reused by the next, host keys are still verified (per connection,
 * against the known_hosts content the keeper was started for), the socket is private, and the
 * keeper ends once idle. Needs `npm run build` (the keeper runs from dist/).
 */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeWithTools, SSHD_TOOL } from './support/needs-tools.js';
import { until } from './support/until.js';
import { HostKeyError } from '../../src/errors/index.js';
import { CommandTimeoutError } from '../../src/transport/errors.js';
import { KeeperClient } from '../../src/transport/keeper-client.js';
import { formatKnownHostsLine } from '../../src/transport/known-hosts.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { quote } from '../../src/transport/quote.js';
import type { SshHostSpec } from '../../src/transport/ssh-host-spec.js';
import { makeKey, startSshd, tempDir, type KeyPair, type Sshd } from '../transport/sshd-harness.js';

jest.setTimeout(60_000);

describeWithTools('the connection keeper (--persist) against a real sshd', { tools: SSHD_TOOL }, () => {
  let dir: string;
  let keeperDir: string;
  let hostKey: KeyPair;
  let clientKey: KeyPair;
  let otherKey: KeyPair;
  let sshd: Sshd;
  let khFile: string;
  const env = () => ({ ...process.env, GRIDOPS_KEEPER_DIR: keeperDir });
  const spec = (): SshHostSpec => ({ name: 'kept1', host: '127.0.0.1', port: sshd.port, user: 'root', identityFiles: [clientKey.file] });
  const sockets = () => (existsSync(keeperDir) ? readdirSync(keeperDir).filter((f) => f.endsWith('.sock')) : []);
  /** The next run attaches, gets the kept connection and runs a command on it. */
  const expectKeptForTheNextRun = async () => {
    const next = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
    const t = await next.connect(spec(), 5000);
    expect(t.reused).toBe(true);
    expect((await t.exec('echo again')).stdout).toBe('again\n');
    next.end();
  };

  beforeAll(async () => {
    if (!existsSync('dist/transport/keeper-main.js')) throw new Error('the keeper runs from dist/, which is not built: run npm run build first (npm run test:e2e does)');
    dir = tempDir('gridops-e2e-keeper-');
    keeperDir = join(dir, 'keeper');
    hostKey = makeKey(join(dir, 'host_ed25519'));
    clientKey = makeKey(join(dir, 'client_ed25519'));
    otherKey = makeKey(join(dir, 'other_ed25519'));
    writeFileSync(join(dir, 'authorized_keys'), `${clientKey.pub}\n`);
    sshd = await startSshd(dir, 'target', hostKey, join(dir, 'authorized_keys'));
    khFile = join(dir, 'known_hosts');
    writeFileSync(khFile, `${formatKnownHostsLine('127.0.0.1', sshd.port, hostKey.blob)}\n`);
  });

  afterAll(async () => {
    // Every keeper this test started ends once its last run lets go with --persist 0s.
    for (const file of [khFile, join(dir, 'known_hosts_other'), join(dir, 'known_hosts_later')]) {
      if (!existsSync(file)) continue;
      const k = await KeeperClient.attach({ writable: file, readOnly: [] }, 0, env()).catch(() => undefined);
      await k?.connect(spec(), 5000).catch(() => undefined);
      k?.end();
    }
    expect(await until(() => sockets().length === 0, 5000)).toBe(true);
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the connection for the next run, which reuses it; exec, stdin, upload and read go through it', async () => {
    const first = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
    const t1 = await first.connect(spec(), 5000);
    expect(t1.reused).toBe(false);
    const hostile = `it's $(echo no) "quoted"`;
    const r = await t1.exec(`printf '%s' ${quote(hostile)}; cat; echo err >&2; exit 3`, { stdin: 'from stdin' });
    expect(r).toEqual({ stdout: `${hostile}from stdin`, stderr: 'err\n', code: 3 });
    const path = join(dir, 'uploaded file');
    await t1.upload(path, Buffer.from([0, 1, 2, 255]), { mode: 0o640 });
    expect((statSync(path).mode & 0o777).toString(8)).toBe('640');
    expect([...((await t1.read(path)) ?? [])]).toEqual([0, 1, 2, 255]);
    expect(await t1.read(join(dir, 'missing'))).toBeNull();
    let streamed = '';
    await t1.exec('echo one; echo two', { onStdout: (text) => (streamed += text) });
    expect(streamed).toBe('one\ntwo\n');
    await t1.close();
    first.end();

    await expectKeptForTheNextRun();
  });

  it('reads without a shell on the kept connection (SFTP): the answers are what the file system says', async () => {
    const files = join(dir, 'query files');
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, 'text'), 'managed=yes\n', { mode: 0o640 });
    writeFileSync(join(files, 'binary'), Buffer.from([0, 1, 2, 255, 10]));
    symlinkSync(join(files, 'text'), join(files, 'link'));
    const queries = [
      { path: join(files, 'text'), lstat: true, read: 4096 },
      { path: join(files, 'binary'), lstat: true, read: 4096 },
      { path: join(files, 'link'), lstat: true, stat: true, read: 4096 },
      { path: files, lstat: true, read: 4096 },
      { path: join(files, 'missing'), lstat: true, stat: true, read: 4096 },
    ];
    const k = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
    const t = await k.connect(spec(), 5000);
    const kept = await t.queryFiles!(queries, { timeoutMs: 5000 });
    // sshd runs on this machine, as root: the keeper's answers must be the local file system's.
    const local = await new LocalTransport('local').queryFiles(queries, { timeoutMs: 5000 });
    expect(kept).toEqual(local);
    expect(kept!.get(join(files, 'binary'))!.content).toEqual(Buffer.from([0, 1, 2, 255, 10]));
    expect(kept!.get(join(files, 'missing'))).toEqual({ lstat: null, stat: null });
    expect(kept!.get(files)!.content).toBeUndefined();
    k.end();
  });

  /** The SFTP sessions this test's sshd runs: its descendants titled root@internal-sftp (the harness's Subsystem). */
  const sftpServers = (): string[] => {
    // OpenSSH 9.8 and later title it sshd-session.
    const pids = spawnSync('pgrep', ['-f', '^sshd(-session)?: root@internal-sftp'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    const parentOf = (pid: string) => /^PPid:\s*(\d+)/m.exec(spawnSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }).stdout)?.[1];
    return pids.filter((pid) => {
      for (let p: string | undefined = pid; p && p !== '1' && p !== '0'; p = parentOf(p)) if (p === String(sshd.pid)) return true;
      return false;
    });
  };
  /** Ends the SFTP sessions the tests before kept (uploads and reads, queries), so a count starts at none. */
  const endSftpSessions = async () => {
    for (const pid of sftpServers()) process.kill(Number(pid), 'SIGKILL');
    expect(await until(() => sftpServers().length === 0, 5000)).toBe(true);
  };

  it("keeps the read's SFTP session for the next run's read; one the server ended is opened again", async () => {
    const queries = [{ path: khFile, lstat: true, read: 4096 }];
    await endSftpSessions();
    const first = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
    expect(await (await first.connect(spec(), 5000)).queryFiles!(queries, { timeoutMs: 5000 })).toBeDefined();
    first.end();
    const kept = sftpServers();
    expect(kept).toHaveLength(1);

    const next = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
    const t = await next.connect(spec(), 5000);
    expect(t.reused).toBe(true);
    expect((await t.queryFiles!(queries, { timeoutMs: 5000 }))!.get(khFile)!.lstat).not.toBeNull();
    expect(sftpServers()).toEqual(kept);

    // The server's end of the session goes away: the next read opens another session and answers.
    // Asked at once: the keeper may not have heard of the end yet (then the query is asked once more on a new session).
    process.kill(Number(kept[0]), 'SIGKILL');
    expect((await t.queryFiles!(queries, { timeoutMs: 5000 }))!.get(khFile)!.content).toBeDefined();
    const reopened = sftpServers();
    expect(reopened).toHaveLength(1);
    expect(reopened).not.toEqual(kept);
    next.end();
  });

  it("a run that read through the shell: once no run holds the keeper and its process has exited, the keeper opens the SFTP session a later read without a shell asks on, where that read could be", async () => {
    // A keeper of its own (its own copy of known_hosts): connections no earlier test used, so none holds a session yet.
    const kh = join(dir, 'known_hosts_later');
    writeFileSync(kh, readFileSync(khFile));
    await endSftpSessions();
    /** A run in a process of its own (dist/): a held read, released; it lets go of the keeper, then lives `lingerMs` more. */
    const run = (laterWithoutShell: boolean, lingerMs: number) => {
      const script = `
        const { KeeperClient } = await import(${JSON.stringify(join(process.cwd(), 'dist/transport/keeper-client.js'))});
        const k = await KeeperClient.attach({ writable: ${JSON.stringify(kh)}, readOnly: [] }, 60000, process.env);
        const t = await k.connect(${JSON.stringify(spec())}, 5000);
        const held = await t.execHeld('echo read', { timeoutMs: 5000, laterWithoutShell: () => ${laterWithoutShell} });
        process.stdout.write(held.result.stdout);
        held.release();
        k.end();
        setTimeout(() => process.exit(0), ${lingerMs});`;
      return execa(process.execPath, ['--input-type=module', '-e', script], { env: env(), reject: false });
    };
    // A read that could never go without a shell (its probes run programs): no session for it.
    expect((await run(false, 0)).stdout).toBe('read');
    await sleep(500);
    expect(sftpServers()).toEqual([]);

    // The run let go but its process still runs (its exit would compete with the session): nothing yet.
    const lingering = run(true, 1500);
    await sleep(1000);
    expect(sftpServers()).toEqual([]);
    expect((await lingering).stdout).toBe('read');
    expect(await until(() => sftpServers().length === 1, 5000)).toBe(true);
    const opened = sftpServers();

    // Another run attached when the last one leaves: nothing opens until it lets go too (sshd's MaxSessions counts per connection).
    const other = await KeeperClient.attach({ writable: kh, readOnly: [] }, 60_000, env());
    await endSftpSessions();
    expect((await run(true, 0)).stdout).toBe('read');
    await sleep(500);
    expect(sftpServers()).toEqual([]);
    other.end();
    expect(await until(() => sftpServers().length === 1, 5000)).toBe(true);
    const reopened = sftpServers();
    expect(reopened).not.toEqual(opened);

    const next = await KeeperClient.attach({ writable: kh, readOnly: [] }, 60_000, env());
    const t = await next.connect(spec(), 5000);
    expect(t.reused).toBe(true);
    expect((await t.queryFiles!([{ path: khFile, lstat: true, read: 4096 }], { timeoutMs: 5000 }))!.get(khFile)!.content).toBeDefined();
    expect(sftpServers()).toEqual(reopened);
    next.end();
  });

  it('listens on a socket of mode 0600 in a directory of mode 0700', async () => {
    const k = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
    expect(statSync(keeperDir).mode & 0o777).toBe(0o700);
    expect(statSync(k.socketPath).mode & 0o777).toBe(0o600);
    k.end();
  });

  it('a timed-out command is killed and reported as a timeout; the kept connection stays usable', async () => {
    const k = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
    const t = await k.connect(spec(), 5000);
    await expect(t.exec('sleep 30', { timeoutMs: 500 })).rejects.toBeInstanceOf(CommandTimeoutError);
    expect((await t.exec('echo alive')).stdout).toBe('alive\n');
    k.end();
  });

  it("a kept connection whose host went silent (its sshd session stopped) is not handed over: the next run's connect asks a keepalive, drops it after the connect timeout and connects afresh", async () => {
    const k = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
    expect((await (await k.connect(spec(), 5000)).exec('true')).code).toBe(0);
    k.end();
    // Every process this test's sshd runs now serves the kept connection (and its sessions): stopped, they answer nothing, as a host gone dark.
    const children = (pid: string): string[] => spawnSync('pgrep', ['-P', pid], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    const stopped: string[] = [];
    for (let level = children(String(sshd.pid)); level.length > 0; level = level.flatMap(children)) stopped.push(...level);
    expect(stopped.length).toBeGreaterThan(0);
    for (const pid of stopped) process.kill(Number(pid), 'SIGSTOP');
    try {
      const next = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
      const started = Date.now();
      const t = await next.connect(spec(), 2000);
      expect(t.reused).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect((await t.exec('echo afresh')).stdout).toBe('afresh\n');
      next.end();
    } finally {
      // Continued, each ends on the connection the keeper dropped.
      for (const pid of stopped) {
        try {
          process.kill(Number(pid), 'SIGCONT');
        } catch {
          /* gone already */
        }
      }
    }
    await expectKeptForTheNextRun();
  });

  it('verifies host keys: known_hosts with another key for the host reaches another keeper, which refuses the connection', async () => {
    const other = join(dir, 'known_hosts_other');
    writeFileSync(other, `${formatKnownHostsLine('127.0.0.1', sshd.port, otherKey.blob)}\n`);
    const k = await KeeperClient.attach({ writable: other, readOnly: [] }, 60_000, env());
    const kept = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
    expect(k.socketPath).not.toBe(kept.socketPath);
    kept.end();
    const err = await k.connect(spec(), 5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).message).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
    k.end();
  });

  it('a changed known_hosts file is a new keeper: connections verified against the old content are not reused', async () => {
    // The keeper of the old content is told to end once let go (it could not be reached any more).
    const before = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 0, env());
    await before.connect(spec(), 5000);
    before.end();
    writeFileSync(khFile, `# a comment changes the content\n${formatKnownHostsLine('127.0.0.1', sshd.port, hostKey.blob)}\n`);
    const after = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
    expect(after.socketPath).not.toBe(before.socketPath);
    const t = await after.connect(spec(), 5000);
    expect(t.reused).toBe(false);
    after.end();
  });

  describe('held reads (the apply\'s batch in the read\'s session) on kept connections', () => {
    const waitingShells = (tag: string) => spawnSync('pgrep', ['-f', tag]).status === 0;
    const gone = (tag: string) => until(() => !waitingShells(tag), 3000);

    it('gives the read\'s output, then runs the batch in that same session, its output streamed', async () => {
      const k = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
      const t = await k.connect(spec(), 5000);
      const held = (await t.execHeld!('echo "read $$"', { timeoutMs: 5000 }))!;
      expect(held.result.code).toBe(0);
      const readShell = /^read (\d+)\n$/.exec(held.result.stdout)![1];
      expect(held.waiting).toBe(true);
      const live: string[] = [];
      // The batch runs in the read's own shell (held-read.ts).
      const batch = await held.proceed('echo "batch $$"; exit 4\n', { timeoutMs: 5000, onStdout: (text) => live.push(text) });
      expect(batch).toMatchObject({ stdout: `batch ${readShell}\n`, code: 4 });
      expect(live.join('')).toBe(batch.stdout);
      expect(held.waiting).toBe(false);
      await expect(held.proceed('true', { timeoutMs: 1000 })).rejects.toThrow(/already used/);
      k.end();
    });

    it('release, closing the transport and a run letting go of the keeper each end a waiting shell; the connection stays', async () => {
      const k = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
      const t = await k.connect(spec(), 5000);
      const tag = `kept-held-${process.pid}`;
      const released = (await t.execHeld!(`: ${tag}-a; echo read`, { timeoutMs: 5000 }))!;
      expect(waitingShells(`${tag}-a`)).toBe(true);
      released.release();
      expect(await gone(`${tag}-a`)).toBe(true);
      expect((await t.exec('echo alive')).stdout).toBe('alive\n');
      // An apply closes a host with nothing to change without a release.
      const closed = (await t.execHeld!(`: ${tag}-b; echo read`, { timeoutMs: 5000 }))!;
      expect(waitingShells(`${tag}-b`)).toBe(true);
      await t.close();
      expect(closed.waiting).toBe(false);
      expect(await gone(`${tag}-b`)).toBe(true);
      // A run that ends (or dies) with reads still held.
      const again = await k.connect(spec(), 5000);
      expect(again.reused).toBe(true);
      await again.execHeld!(`: ${tag}-c; echo read`, { timeoutMs: 5000 });
      expect(waitingShells(`${tag}-c`)).toBe(true);
      k.end();
      expect(await gone(`${tag}-c`)).toBe(true);
      await expectKeptForTheNextRun();
    });

    it('a run that goes away while its read still runs: the read\'s shell ends once the read is done', async () => {
      const k = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
      const t = await k.connect(spec(), 5000);
      const tag = `kept-held-gone-${process.pid}`;
      const pending = t.execHeld!(`: ${tag}; sleep 1; echo read`, { timeoutMs: 5000 }).catch((e: unknown) => e);
      expect(await until(() => waitingShells(tag), 2000)).toBe(true);
      k.end();
      expect(await pending).toBeInstanceOf(Error); // the keeper went away for this run
      await sleep(1200); // the read ends on the host; nothing may keep its shell waiting after it
      expect(await gone(tag)).toBe(true);
      await expectKeptForTheNextRun();
    });

    it('a shell that ended while it waited: the batch runs in a session of its own on the kept connection', async () => {
      const k = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 60_000, env());
      const t = await k.connect(spec(), 5000);
      const tag = `kept-held-killed-${process.pid}`;
      const held = (await t.execHeld!(`: ${tag}; echo "read $$"`, { timeoutMs: 5000 }))!;
      const readShell = /^read (\d+)\n$/.exec(held.result.stdout)![1]!;
      process.kill(Number(readShell), 'SIGKILL');
      expect(await gone(tag)).toBe(true);
      await sleep(200); // the keeper sees the session close
      expect(held.waiting).toBe(true); // this run cannot know
      const batch = await held.proceed('echo "batch $PPID"\n', { timeoutMs: 5000 });
      expect(batch.code).toBe(0);
      expect(batch.stdout).toMatch(/^batch \d+\n$/);
      expect(batch.stdout).not.toBe(`batch ${readShell}\n`);
      k.end();
    });
  });

  it('--persist 0s: the keeper ends (socket removed) once the run lets go of it', async () => {
    const k = await KeeperClient.attach({ writable: khFile, readOnly: [] }, 0, env());
    await k.connect(spec(), 5000);
    const socket = k.socketPath;
    expect(existsSync(socket)).toBe(true);
    k.end();
    expect(await until(() => !existsSync(socket), 5000)).toBe(true);
  });
});
