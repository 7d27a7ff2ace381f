/**
 * The ssh2 transport against real OpenSSH servers on 127.0.0.1 (see test/transport/sshd-harness.ts).
 * Become is tested with a temp user, a temp sudoers entry and a real sudo password; both are
 * removed in afterAll (and stale ones from a crashed run are removed first).
 */
import { jest } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, HostKeyError } from '../../src/errors/index.js';
import { gatherFacts } from '../../src/facts/gather.js';
import { BecomePassword } from '../../src/transport/become.js';
import { EarlyDials } from '../../src/transport/early-dials.js';
import { CommandTimeoutError } from '../../src/transport/errors.js';
import { fanOut } from '../../src/transport/fan-out.js';
import { KnownHosts, fingerprintSha256, formatKnownHostsLine } from '../../src/transport/known-hosts.js';
import { createSshPool } from '../../src/transport/pool.js';
import { quote } from '../../src/transport/quote.js';
import type { SshHostSpec } from '../../src/transport/ssh-host-spec.js';
import type { SshSessionOptions } from '../../src/transport/ssh-session-options.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { makeKey, startSshd, tempDir, type KeyPair, type Sshd } from '../transport/sshd-harness.js';
import { describeWithTools, missingTools, SSHD_TOOL } from './support/needs-tools.js';

jest.setTimeout(30_000);

const ssh2 = createRequire(import.meta.url)('ssh2') as typeof import('ssh2');

const isRoot = process.getuid?.() === 0;
/** Become is tested through a temp user with a sudo password, as root only. */
const BECOME_NEEDS = { tools: { sudo: 'sudo', useradd: 'passwd' }, rootOnly: true };
const haveSudo = missingTools(BECOME_NEEDS.tools).length === 0;

const USER = `gde2e${process.pid}`;
const PASSWORD = `s3cr3t'"$(touch /tmp/pwned)\`;x`;
const SUDOERS = `/etc/sudoers.d/gridops-e2e-${USER}`;

function removeUser(name: string): void {
  spawnSync('userdel', ['-f', name], { stdio: 'ignore' });
  rmSync(`/etc/sudoers.d/gridops-e2e-${name}`, { force: true });
  rmSync(`/var/lib/sudo/lectured/${name}`, { force: true });
  rmSync(`/run/sudo/ts/${name}`, { force: true });
}

function removeStaleUsers(): void {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const m = /^(gde2e(\d+)):/.exec(line);
    if (!m || Number(m[2]) === process.pid) continue;
    let alive = true;
    try {
      process.kill(Number(m[2]), 0);
    } catch {
      alive = false;
    }
    if (!alive) removeUser(m[1]!);
  }
}

describeWithTools('SshTransport against a real sshd', { tools: SSHD_TOOL }, () => {
  let dir: string;
  let hostKey: KeyPair;
  let clientKey: KeyPair;
  let otherKey: KeyPair;
  let sshd: Sshd;
  let jumpSshd: Sshd;
  let khFile: string;
  let userCreated = false;
  const open: SshTransport[] = [];

  const base = (kh: KnownHosts, extra: Partial<SshSessionOptions> = {}): SshSessionOptions => ({
    knownHosts: kh,
    agentSocket: null,
    readyTimeoutMs: 5000,
    retry: { retries: 2, refusedRetries: 1, unansweredRetries: 0, baseDelayMs: 50, maxDelayMs: 200 },
    ...extra,
  });
  const spec = (user = 'root', extra: Partial<SshHostSpec> = {}): SshHostSpec => ({ name: 'lab1', host: '127.0.0.1', port: sshd.port, user, identityFiles: [clientKey.file], ...extra });
  const connect = async (s: SshHostSpec, o: SshSessionOptions) => {
    const t = await SshTransport.connect(s, o);
    open.push(t);
    return t;
  };

  beforeAll(async () => {
    dir = tempDir('gridops-e2e-ssh-');
    hostKey = makeKey(join(dir, 'host_ed25519'));
    clientKey = makeKey(join(dir, 'client_ed25519'));
    otherKey = makeKey(join(dir, 'other_ed25519'));
    writeFileSync(join(dir, 'authorized_keys'), `${clientKey.pub}\n`);
    sshd = await startSshd(dir, 'target', hostKey, join(dir, 'authorized_keys'));
    jumpSshd = await startSshd(dir, 'jump', hostKey, join(dir, 'authorized_keys'));
    khFile = join(dir, 'known_hosts');
    writeFileSync(khFile, `${formatKnownHostsLine('127.0.0.1', sshd.port, hostKey.blob)}\n${formatKnownHostsLine('127.0.0.1', jumpSshd.port, hostKey.blob, { hash: true })}\n`);
    if (isRoot && haveSudo) {
      removeStaleUsers();
      const home = join(dir, 'home');
      execFileSync('useradd', ['-M', '-d', home, '-s', '/bin/sh', USER]);
      userCreated = true;
      execFileSync('chpasswd', { input: `${USER}:${PASSWORD}\n` });
      mkdirSync(home, { mode: 0o755 });
      const uid = Number(execFileSync('id', ['-u', USER]).toString());
      chownSync(home, uid, uid);
      writeFileSync(SUDOERS, `Defaults:${USER} !lecture\n${USER} ALL=(ALL:ALL) ALL\n`, { mode: 0o440 });
      execFileSync('visudo', ['-cf', SUDOERS], { stdio: 'ignore' });
    }
  });

  afterAll(async () => {
    await Promise.allSettled(open.map((t) => t.close()));
    await Promise.allSettled([sshd?.stop(), jumpSshd?.stop()]);
    if (userCreated) removeUser(USER);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exec: stdout, stderr, exit code, stdin, hostile arguments', async () => {
    const t = await connect(spec(), base(await KnownHosts.load(khFile)));
    expect(await t.exec('echo out; echo err >&2; exit 3')).toEqual({ stdout: 'out\n', stderr: 'err\n', code: 3 });
    const hostile = `a'b"c $(id) \`id\` ; | & \n\ttab ünï 🚀 \\ $HOME`;
    expect((await t.exec(`printf %s ${quote(hostile)}`)).stdout).toBe(hostile);
    expect((await t.exec('cat', { stdin: hostile })).stdout).toBe(hostile);
    expect((await t.exec('echo "$SHLVL"')).stdout.trim()).not.toBe('1'); // bash ran without ~/.bashrc
    console.log(`connect ${t.connectMs} ms`);
  });

  it('upload/read: hostile content and file names land verbatim, atomically, with the mode', async () => {
    const t = await connect(spec(), base(await KnownHosts.load(khFile)));
    const p = join(dir, `it's a "file" $(touch x) ; ü`);
    const content = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from(`'"$(reboot)\`\n\r\0EOF\n`.repeat(500))]);
    await t.upload(p, content, { mode: 0o640 });
    expect((await t.read(p))!.equals(content)).toBe(true);
    expect(readFileSync(p).equals(content)).toBe(true);
    expect((await t.exec(`stat -c %a -- ${quote(p)}`)).stdout.trim()).toBe('640');
    await t.upload(p, 'second\n', { mode: 0o600 });
    expect((await t.read(p))!.toString()).toBe('second\n');
    expect((await t.exec(`ls -a ${quote(dir)} | grep -c gridops- || true`)).stdout.trim()).toBe('0'); // no temp files left
    expect(await t.read(join(dir, 'missing'))).toBeNull();
  });

  it('refuses an unknown host, showing the SHA256 fingerprint and what to do', async () => {
    writeFileSync(join(dir, 'empty_known_hosts'), '');
    const kh = await KnownHosts.load(join(dir, 'empty_known_hosts'));
    const err = await SshTransport.connect(spec(), base(kh)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    const fp = execFileSync('ssh-keygen', ['-lf', `${hostKey.file}.pub`]).toString().split(' ')[1]!;
    expect(fp).toBe(fingerprintSha256(hostKey.blob));
    expect((err as HostKeyError).message).toContain(fp);
    expect((err as HostKeyError).message).toContain(`[127.0.0.1]:${sshd.port}`);
    expect((err as HostKeyError).hint).toMatch(/--accept-new-host-keys/);
    expect((err as HostKeyError).hint).toMatch(/ssh-keyscan/);
  });

  it('a known_hosts file that does not exist is reported as missing, not as an unknown key', async () => {
    const missing = join(dir, 'no-such-dir', 'known_hosts');
    const err = await SshTransport.connect(spec(), base(await KnownHosts.load(missing))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).message).toContain(`the known_hosts file ${missing} does not exist`);
    expect((err as HostKeyError).hint).toMatch(/check ssh.knownHosts/);
  });

  it('--accept-new-host-keys records the key; the next connect matches without it', async () => {
    const file = join(dir, 'accept_known_hosts');
    const logged: string[] = [];
    const logger = { debug: () => undefined, warn: () => undefined, info: (_f: unknown, m: string) => void logged.push(m) };
    const t = await connect(spec(), base(await KnownHosts.load(file), { acceptNewHostKeys: true, logger }));
    expect((await t.exec('echo ok')).stdout).toBe('ok\n');
    expect(logged.join('\n')).toMatch(/recorded new ssh-ed25519 host key SHA256:/);
    expect(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', file]).toString()).toContain('found');
    const t2 = await connect(spec(), base(await KnownHosts.load(file)));
    expect((await t2.exec('echo again')).stdout).toBe('again\n');
  });

  it('always refuses a changed key, naming the known_hosts file and line', async () => {
    const file = join(dir, 'changed_known_hosts');
    writeFileSync(file, `# first line\n${formatKnownHostsLine('127.0.0.1', sshd.port, otherKey.blob)}\n`);
    for (const accept of [false, true]) {
      const err = await SshTransport.connect(spec(), base(await KnownHosts.load(file), { acceptNewHostKeys: accept })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyError);
      expect((err as Error).message).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
      expect((err as Error).message).toContain(`${file}:2`);
    }
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2); // nothing was added
  });

  it('tunnels through a jump host (forwardOut) and verifies the jump host key too', async () => {
    const jump = { host: '127.0.0.1', port: jumpSshd.port, user: 'root', identityFile: clientKey.file };
    const t = await connect(spec('root', { jumpHost: jump }), base(await KnownHosts.load(khFile)));
    // The target sees the connection coming from the jump host's sshd, not from us directly.
    expect((await t.exec('echo "$SSH_CONNECTION"')).stdout).toMatch(new RegExp(` ${sshd.port}\\n$`));
    const onlyTarget = join(dir, 'target_only_known_hosts');
    writeFileSync(onlyTarget, `${formatKnownHostsLine('127.0.0.1', sshd.port, hostKey.blob)}\n`);
    const err = await SshTransport.connect(spec('root', { jumpHost: jump }), base(await KnownHosts.load(onlyTarget))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as Error).message).toMatch(/^jump 127\.0\.0\.1: unknown host key/);
  });

  it('a jump host that dropped closes at once with the connection through it', async () => {
    const jump = { host: '127.0.0.1', port: jumpSshd.port, user: 'root', identityFile: clientKey.file };
    const t = await connect(spec('root', { jumpHost: jump }), base(await KnownHosts.load(khFile)));
    expect((await t.exec('echo ok')).stdout).toBe('ok\n');
    // The jump sshd's children serve its connections (this one's tunnel among them): ours to end, by PID.
    const jumpSessions = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(jumpSshd.pid);
      } catch {
        return false;
      }
    });
    expect(jumpSessions.length).toBeGreaterThan(0);
    for (const p of jumpSessions) process.kill(Number(p), 'SIGKILL');
    for (let i = 0; i < 50 && t.isOpen; i++) await sleep(50);
    expect(t.isOpen).toBe(false);
    const t0 = Date.now();
    await t.close();
    // endClient waits 2 s at most for a close: the host's and the jump host's had both come already.
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  // gridops signs with a key object made once per identity (transport/key-object-signing.ts), not
  // through ssh2's PEM text: OpenSSH must take those signatures for every key type it offers.
  it.each([
    ['rsa', ['-b', '2048']],
    ['ecdsa', ['-b', '384']],
    ['ecdsa', ['-b', '521']],
  ] as const)('authenticates with a %s identity file %j (OpenSSH checks the signature)', async (type, bits) => {
    const file = join(dir, `client_${type}${bits[1]}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', '', '-C', 'gridops-e2e', '-f', file]);
    appendFileSync(join(dir, 'authorized_keys'), `${readFileSync(`${file}.pub`, 'utf8').trim()}\n`);
    const t = await connect(spec('root', { identityFiles: [file] }), base(await KnownHosts.load(khFile)));
    expect((await t.exec('echo signed')).stdout).toBe('signed\n');
  });

  it('authenticates through ssh-agent', async () => {
    const sock = join(dir, 'agent.sock');
    const out = execFileSync('ssh-agent', ['-s', '-a', sock]).toString();
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
    try {
      execFileSync('ssh-add', [clientKey.file], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const t = await connect(spec('root', { identityFiles: [] }), base(await KnownHosts.load(khFile), { agentSocket: sock }));
      expect((await t.exec('echo agent')).stdout).toBe('agent\n');
      // A jump host written as user@host:port (no key in the string) authenticates through the agent too.
      const viaJump = await connect(spec('root', { identityFiles: [], jumpHost: `root@127.0.0.1:${jumpSshd.port}` }), base(await KnownHosts.load(khFile), { agentSocket: sock }));
      expect((await viaJump.exec('echo jumped')).stdout).toBe('jumped\n');
    } finally {
      process.kill(pid, 'SIGTERM');
    }
  });

  it('an authentication failure is not retried', async () => {
    let retries = 0;
    const err = await SshTransport.connect(spec('root', { identityFiles: [otherKey.file] }), base(await KnownHosts.load(khFile), { onRetry: () => retries++ })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/authentication failed/);
    expect(retries).toBe(0);
  });

  it('connection refused: one short retry, then ConnectionError', async () => {
    const { freePort } = await import('../transport/sshd-harness.js');
    const port = await freePort();
    const delays: number[] = [];
    const t0 = Date.now();
    const err = await SshTransport.connect({ host: '127.0.0.1', port, identityFiles: [clientKey.file] }, base(await KnownHosts.load(khFile), { onRetry: (_a, ms) => delays.push(ms) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/after 2 attempts: .*ECONNREFUSED/);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(25);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  describe('early dials (the TCP connection opened before the handshake)', () => {
    /** sshd's children: one per connection it is serving. */
    const sshdSessions = (): number =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(sshd.pid);
          } catch {
            return false;
          }
        }).length;

    /** EarlyDials that keep what they hand out, so a test can tell which socket a connection runs on. */
    const watched = () => {
      const early = new EarlyDials();
      const taken: Socket[] = [];
      const take = early.take.bind(early);
      early.take = (host, port) => {
        const socket = take(host, port);
        if (socket) taken.push(socket);
        return socket;
      };
      return { early, taken };
    };

    it('the handshake runs on the dialled socket, once its banner is there; host key and exec as on any connection', async () => {
      const { early, taken } = watched();
      early.dial('127.0.0.1', sshd.port);
      await sleep(200); // sshd has accepted, started and sent its banner by now
      const t = await connect(spec(), base(await KnownHosts.load(khFile), { earlyDials: early }));
      expect(early.waiting).toBe(0);
      expect(taken).toHaveLength(1);
      // The connection's client port, as sshd sees it, is the dialled socket's.
      expect(Number((await t.exec('echo "$SSH_CONNECTION"')).stdout.split(' ')[1])).toBe(taken[0]!.localPort);
      expect((await t.exec(`printf %s ${quote("it's $(id)")}`)).stdout).toBe("it's $(id)");
    });

    it('a changed host key is refused on a dialled socket too, and nothing is left open', async () => {
      const file = join(dir, 'early_changed_known_hosts');
      writeFileSync(file, `${formatKnownHostsLine('127.0.0.1', sshd.port, otherKey.blob)}\n`);
      const { early, taken } = watched();
      early.dial('127.0.0.1', sshd.port);
      const err = await SshTransport.connect(spec(), base(await KnownHosts.load(file), { earlyDials: early })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyError);
      expect((err as Error).message).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
      expect(early.waiting).toBe(0);
      expect(taken).toHaveLength(1);
      for (let i = 0; i < 30 && !taken[0]!.destroyed; i++) await sleep(50);
      expect(taken[0]!.destroyed).toBe(true);
    });

    it('a handshake that fails before ssh2 takes the socket (no credentials) closes the one it took', async () => {
      const { early, taken } = watched();
      early.dial('127.0.0.1', sshd.port);
      const err = await SshTransport.connect(spec('root', { identityFiles: [join(dir, 'no-such-key')] }), base(await KnownHosts.load(khFile), { earlyDials: early })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/cannot read identity file/);
      expect(taken).toHaveLength(1);
      expect(taken[0]!.destroyed).toBe(true);
    });

    it('a dialled socket that was refused is not used: the handshake dials itself, retries once, and reports the refusal', async () => {
      const { freePort } = await import('../transport/sshd-harness.js');
      const port = await freePort();
      const early = new EarlyDials();
      early.dial('127.0.0.1', port);
      await sleep(100); // refused by now
      const delays: number[] = [];
      const err = await SshTransport.connect({ host: '127.0.0.1', port, identityFiles: [clientKey.file] }, base(await KnownHosts.load(khFile), { earlyDials: early, onRetry: (_a, ms) => delays.push(ms) })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/after 2 attempts: .*ECONNREFUSED/);
      expect(delays).toHaveLength(1);
    });

    it('a socket no handshake took is closed by closeAll: sshd sees the connection end', async () => {
      const early = new EarlyDials();
      early.dial('127.0.0.1', sshd.port);
      await sleep(200);
      const before = sshdSessions();
      expect(before).toBeGreaterThanOrEqual(1);
      early.closeAll();
      expect(early.waiting).toBe(0);
      for (let i = 0; i < 50 && sshdSessions() >= before; i++) await sleep(50);
      expect(sshdSessions()).toBeLessThan(before);
    });
  });

  it('a connection the server dropped closes at once, without waiting for a close that already came', async () => {
    const t = await connect(spec(), base(await KnownHosts.load(khFile)));
    // The per-connection sshd is the parent of the command's shell: killing it drops the connection.
    await t.exec('kill -9 $PPID').catch(() => undefined);
    for (let i = 0; i < 50 && t.isOpen; i++) await sleep(50);
    expect(t.isOpen).toBe(false);
    const t0 = Date.now();
    await t.close();
    // endClient's bound is 2 s: a close that waited for it took at least that.
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('per-command timeout kills the command and everything it started; the connection stays usable', async () => {
    const t = await connect(spec(), base(await KnownHosts.load(khFile)));
    const marker = 4000 + (process.pid % 1000);
    const t0 = Date.now();
    const err = await t.exec(`sleep ${marker} & sleep ${marker}; echo never`, { timeoutMs: 400 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect((err as Error).message).toMatch(/timed out after 400 ms/);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect((await t.exec('echo alive')).stdout).toBe('alive\n');
    // sshd refuses "signal" requests on root sessions (no privilege separation after auth), so for
    // root the remote `timeout` wrapper does the killing, about 1 s after our deadline.
    const survivors = () => spawnSync('pgrep', ['-f', `sleep ${marker}`]).status === 0;
    for (let i = 0; i < 40 && survivors(); i++) await sleep(100);
    expect(survivors()).toBe(false);
    expect(Date.now() - t0).toBeLessThan(3500);
  });

  describe('a held read (the apply\'s batch in the read\'s session)', () => {
    const pids = (pattern: string) => spawnSync('pgrep', ['-f', pattern]).status === 0;

    it('gives the read\'s output, then runs the batch in the same session with its own output and exit status', async () => {
      const t = await connect(spec(), base(await KnownHosts.load(khFile)));
      // The read reads stdin: it does not eat the batch. The batch runs in the read's own shell
      // (no new process), so it sees what the read set: the planner's read gives back what it changes.
      const held = (await t.execHeld('v=from-read; echo "read-out $$"; echo read-err >&2; cat; echo "after cat"', { timeoutMs: 5000 }))!;
      const readShell = /^read-out (\d+)\n/.exec(held.result.stdout)![1];
      expect(held.result).toEqual({ stdout: `read-out ${readShell}\nafter cat\n`, stderr: 'read-err\n', code: 0 });
      expect(held.waiting).toBe(true);
      const live: string[] = [];
      const batch = await held.proceed('echo "[${v-unset}][$$]"; echo batch-err >&2; exit 4\n', { timeoutMs: 5000, onStdout: (text) => live.push(text) });
      expect(batch.stdout).toBe(`[from-read][${readShell}]\n`);
      expect(batch).toMatchObject({ stderr: 'batch-err\n', code: 4 });
      expect(live.join('')).toBe(batch.stdout);
      expect(held.waiting).toBe(false);
      await expect(held.proceed('true', { timeoutMs: 1000 })).rejects.toThrow(/was already used|ended/);
    });

    it('a read that fails still ends its output with its status; release ends the waiting shell', async () => {
      const t = await connect(spec(), base(await KnownHosts.load(khFile)));
      const tag = `held-release-${process.pid}`;
      const held = (await t.execHeld(`echo partial; : ${tag}; sh -c 'exit 3'`, { timeoutMs: 5000 }))!;
      expect(held.result).toMatchObject({ stdout: 'partial\n', code: 3 });
      expect(held.waiting).toBe(true);
      expect(pids(tag)).toBe(true); // the shell waits (its command line holds the tag)
      // A read that exits ends its session: what it printed, its status, and no shell left waiting.
      const exited = (await t.execHeld('echo before; exit 5; echo never', { timeoutMs: 5000 }))!;
      expect(exited.result).toMatchObject({ stdout: 'before\n', code: 5 });
      expect(exited.waiting).toBe(false);
      held.release();
      for (let i = 0; i < 30 && pids(tag); i++) await sleep(100);
      expect(pids(tag)).toBe(false);
      expect((await t.exec('echo alive')).stdout).toBe('alive\n');
    });

    it('closing the connection ends a waiting shell without a release (what an apply does for a host with nothing to change)', async () => {
      const t = await SshTransport.connect(spec(), base(await KnownHosts.load(khFile)));
      const tag = `held-close-${process.pid}`;
      const held = (await t.execHeld(`: ${tag}; echo read`, { timeoutMs: 5000 }))!;
      expect(held.waiting).toBe(true);
      expect(pids(tag)).toBe(true);
      await t.close();
      for (let i = 0; i < 30 && pids(tag); i++) await sleep(100);
      expect(pids(tag)).toBe(false);
      expect(held.waiting).toBe(false);
    });

    it('a read whose output does not end with a newline ends at its sentinel all the same', async () => {
      const t = await connect(spec(), base(await KnownHosts.load(khFile)));
      const held = (await t.execHeld("printf 'no newline'", { timeoutMs: 5000 }))!;
      expect(held.result).toMatchObject({ stdout: 'no newline', code: 0 });
      held.release();
    });

    it('output that imitates the end of the read (another sentinel) does not end it', async () => {
      const t = await connect(spec(), base(await KnownHosts.load(khFile)));
      const held = (await t.execHeld("echo '@@gridops-held-0000000000000000@@ 0'; echo real", { timeoutMs: 5000 }))!;
      expect(held.result.stdout).toBe('@@gridops-held-0000000000000000@@ 0\nreal\n');
      held.release();
    });

    it('a batch past its deadline is killed on the host, with everything it started', async () => {
      const t = await connect(spec(), base(await KnownHosts.load(khFile)));
      const marker = 5000 + (process.pid % 1000);
      const held = (await t.execHeld('echo read', { timeoutMs: 5000 }))!;
      const t0 = Date.now();
      const err = await held.proceed(`sleep ${marker} & sleep ${marker}; echo never\n`, { timeoutMs: 400 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommandTimeoutError);
      for (let i = 0; i < 40 && pids(`sleep ${marker}`); i++) await sleep(100);
      expect(pids(`sleep ${marker}`)).toBe(false);
      expect(Date.now() - t0).toBeLessThan(3500);
      expect((await t.exec('echo alive')).stdout).toBe('alive\n');
    });

    it('a batch still running when its client is gone is ended on the host at its deadline (the watchdog left after 5 s)', async () => {
      const t = await connect(spec(), base(await KnownHosts.load(khFile)));
      const marker = 6000 + (process.pid % 1000);
      const held = (await t.execHeld('echo read', { timeoutMs: 5000 }))!;
      const t0 = Date.now();
      // A 7 s deadline on the host (1 s after the client's 6 s): the watchdog, left at 5 s, has 2 s to wait.
      const pending = held.proceed(`sleep ${marker} & sleep ${marker}; echo never\n`, { timeoutMs: 6000 }).catch((e: unknown) => e);
      await sleep(5600);
      expect(pids(`sleep ${marker}`)).toBe(true);
      // The client goes away without a word (a crash, a lost network): nothing of it can end the batch now.
      (t as unknown as { client: { destroy(): void } }).client.destroy();
      // The channel closed under it: no exit status (the applier reports the host failed).
      expect(await pending).toMatchObject({ code: null });
      for (let i = 0; i < 60 && pids(`sleep ${marker}`); i++) await sleep(100);
      expect(pids(`sleep ${marker}`)).toBe(false);
      const took = Date.now() - t0;
      console.log(`a batch whose client was gone ended on the host ${took} ms after it started (remote deadline 7 s)`);
      expect(took).toBeGreaterThan(6500);
      expect(took).toBeLessThan(11_000);
    });

    it('a read past its deadline is refused like an exec\'s', async () => {
      const t = await connect(spec(), base(await KnownHosts.load(khFile)));
      await expect(t.execHeld('sleep 5', { timeoutMs: 300 })).rejects.toBeInstanceOf(CommandTimeoutError);
    });
  });

  it('an aborted run signal stops new commands', async () => {
    const ac = new AbortController();
    const t = await connect(spec(), base(await KnownHosts.load(khFile), { signal: ac.signal }));
    ac.abort();
    await expect(t.exec('true')).rejects.toThrow(/interrupted/);
  });

  it('become as root is a no-op', async () => {
    const t = await connect(spec(), base(await KnownHosts.load(khFile), { becomePassword: new BecomePassword(undefined, {}) }));
    expect((await t.exec('id -u', { become: true })).stdout).toBe('0\n');
  });

  describeWithTools('become for a non-root user with a sudo password', BECOME_NEEDS, () => {
    const pw = () => new BecomePassword(undefined, { GRIDOPS_BECOME_PASSWORD: PASSWORD });

    it('runs as root with the password on stdin; the caller stdin still reaches the command', async () => {
      const t = await connect(spec(USER), base(await KnownHosts.load(khFile), { becomePassword: pw() }));
      expect((await t.exec('id -un')).stdout).toBe(`${USER}\n`);
      const r = await t.exec('id -u; cat; echo warn >&2', { become: true, stdin: 'from stdin\n' });
      expect(r).toEqual({ stdout: '0\nfrom stdin\n', stderr: 'warn\n', code: 0 });
      expect(JSON.stringify(r)).not.toContain(PASSWORD);
      expect(existsSync('/tmp/pwned')).toBe(false);
    });

    it('upload and read with become reach root-only places', async () => {
      const t = await connect(spec(USER), base(await KnownHosts.load(khFile), { becomePassword: pw() }));
      const rootDir = join(dir, 'root-only');
      mkdirSync(rootDir, { mode: 0o700 });
      const p = join(rootDir, 'conf $(x)');
      await t.upload(p, 'secret: 1\n', { mode: 0o600, become: true });
      expect(readFileSync(p, 'utf8')).toBe('secret: 1\n');
      expect((await t.exec(`stat -c '%a %U' -- ${quote(p)}`, { become: true })).stdout).toBe('600 root\n');
      expect((await t.read(p, { become: true }))!.toString()).toBe('secret: 1\n');
      expect(await t.read(join(rootDir, 'missing'), { become: true })).toBeNull();
      await expect(t.read(p)).rejects.toThrow(/read .*conf/); // without become: permission denied, not "missing"
    });

    it('an upload to a root-only directory through sudo: made root 0700, the file root-owned, its temp file gone; a directory the user owns is refused', async () => {
      const t = await connect(spec(USER), base(await KnownHosts.load(khFile), { becomePassword: pw() }));
      const parent = join(dir, 'staging-parent $(x)');
      const staging = join(parent, 'staging');
      const image = join(staging, 'base-image.part');
      // The user's own temp files in /tmp (owned by the test user: other uploads running beside this test are root's).
      const usersStaged = () => readdirSync('/tmp').filter((f) => f.startsWith('.gridops-upload-') && statSync(join('/tmp', f), { throwIfNoEntry: false })?.uid === Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' })));
      await t.upload(image, 'image bytes', { mode: 0o600, become: true, rootOnlyDir: true });
      expect(statSync(staging).mode & 0o7777).toBe(0o700);
      expect(statSync(staging).uid).toBe(0);
      expect(statSync(parent).mode & 0o7777).toBe(0o755);
      expect({ content: readFileSync(image, 'utf8'), mode: statSync(image).mode & 0o7777, uid: statSync(image).uid }).toEqual({ content: 'image bytes', mode: 0o600, uid: 0 });
      expect(usersStaged()).toEqual([]);
      // A symlink at the staged name (planted as root could, since only root writes there) is removed, not written through.
      const elsewhere = join(dir, 'not-to-be-written');
      writeFileSync(elsewhere, 'untouched');
      rmSync(image);
      symlinkSync(elsewhere, image);
      await t.upload(image, 'newer bytes', { mode: 0o600, become: true, rootOnlyDir: true });
      expect({ link: lstatSync(image).isSymbolicLink(), content: readFileSync(image, 'utf8'), elsewhere: readFileSync(elsewhere, 'utf8') }).toEqual({ link: false, content: 'newer bytes', elsewhere: 'untouched' });

      // A staging directory the login user owns is refused, and nothing is written in it.
      const owned = join(dir, 'user-owned-staging');
      mkdirSync(owned, { mode: 0o700 });
      execFileSync('chown', [USER, owned]);
      const err = await t.upload(join(owned, 'base-image.part'), 'x', { mode: 0o600, become: true, rootOnlyDir: true }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/user-owned-staging is not a directory owned by root with mode 0700/);
      expect(readdirSync(owned)).toEqual([]);
    });

    it('a wrong password is refused without echoing it, and without hanging', async () => {
      const wrong = 'wr0ng-pass-XYZ';
      const t = await connect(spec(USER), base(await KnownHosts.load(khFile), { becomePassword: new BecomePassword(() => wrong, {}) }));
      const err = await t.exec('id -u', { become: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/rejected the become password/);
      expect(JSON.stringify(err) + (err as Error).message).not.toContain(wrong);
    });

    it('without a configured password, sudo -n fails with a hint', async () => {
      const t = await connect(spec(USER), base(await KnownHosts.load(khFile), { becomePassword: new BecomePassword(undefined, {}) }));
      const err = await t.exec('id -u', { become: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/become \(sudo\) failed .*password is required/);
      expect((err as ConnectionError).hint).toMatch(/GRIDOPS_BECOME_PASSWORD/);
    });
  });

  it('facts over ssh in one exec', async () => {
    const t = await connect(spec(), base(await KnownHosts.load(khFile)));
    const f = await gatherFacts(t);
    expect(f.os.id).toBe('debian');
    expect(f.cpu.cores).toBeGreaterThan(0);
  });

  it("leaves the host keys sshd announces after login unproven (ssh2 alone asks for a proof on every connection)", async () => {
    // sshd logs each global request it gets (debug1) and how many host keys it announced (debug3).
    const debugSshd = await startSshd(dir, 'debug', hostKey, join(dir, 'authorized_keys'), ['LogLevel DEBUG3']);
    try {
      const kh = join(dir, 'debug_known_hosts');
      writeFileSync(kh, `${formatKnownHostsLine('127.0.0.1', debugSshd.port, hostKey.blob)}\n`);
      /** Waits until sshd's log, from `from` on, matches `pattern` (10 s at most, then fails saying what it waited for). */
      const logged = async (pattern: RegExp, from = 0) => {
        for (const until = Date.now() + 10_000; Date.now() < until; await sleep(20)) if (pattern.test(debugSshd.log().slice(from))) return debugSshd.log();
        throw new Error(`sshd's log never showed ${pattern}:\n${debugSshd.log().slice(from)}`);
      };
      const t = await SshTransport.connect(spec('root', { port: debugSshd.port }), base(await KnownHosts.load(kh)));
      expect((await t.exec('echo ok')).stdout).toBe('ok\n');
      await t.close();
      // The session's sshd logs a proof request, had it come, before the session's end (the request precedes the exec's output).
      // Its end is "Close session", or "Disconnected from user" where the client's disconnect came first (then sshd logs no close).
      const gridops = await logged(/Close session|Disconnected from user/);
      expect(gridops).toMatch(/sent 1 hostkeys/);
      expect(gridops).not.toMatch(/hostkeys-prove-00@openssh\.com/);
      // The same server and login through ssh2 alone: the proof is asked for, so the check above can fail.
      await new Promise<void>((resolve, reject) => {
        const client = new ssh2.Client();
        const fail = (e: Error) => (client.end(), reject(e));
        client.on('error', fail);
        client.on('ready', () => client.exec('true', (err, ch) => (err ? fail(err) : ch.on('close', () => (client.end(), resolve())).resume())));
        client.connect({ host: '127.0.0.1', port: debugSshd.port, username: 'root', privateKey: readFileSync(clientKey.file), readyTimeout: 10_000, hostVerifier: (key: Buffer) => key.equals(hostKey.blob) });
      });
      await logged(/rtype hostkeys-prove-00@openssh\.com/, gridops.length);
    } finally {
      await debugSshd.stop();
    }
  });

  it('measures: connect, exec round trip, parallel connects through a pool', async () => {
    const kh = await KnownHosts.load(khFile);
    const t = await connect(spec(), base(kh));
    const n = 20;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await t.exec('true');
    const rtt = (performance.now() - t0) / n;
    const pool = createSshPool(base(kh));
    const hosts = Array.from({ length: 20 }, (_, i) => spec('root', { name: `h${i}` }));
    const p0 = performance.now();
    const results = await fanOut(hosts, (h) => h.name!, async (h) => (await (await pool.get(h)).exec('echo hi')).stdout, { concurrency: 50 });
    const par = performance.now() - p0;
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(pool.size).toBe(20);
    await pool.closeAll();
    console.log(`connect ${t.connectMs} ms; exec round trip ${rtt.toFixed(1)} ms; 20 parallel connect+exec ${par.toFixed(0)} ms`);
  });
});
