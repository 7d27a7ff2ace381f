/**
 * Identity files gridops cannot use (encrypted: it has no passphrase prompt; or not a private key):
 * an explicit one (ssh.identityFile, IdentityFile in ~/.ssh/config) with nothing else to log in
 * with is an error before any connection that names the file, says why and what to do; when an
 * ssh-agent may hold it, the agent is tried and a refused login names the file. Default keys
 * (~/.ssh/id_*) are named the same way. Against an in-process ssh2 server and an empty agent.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../../src/errors/index.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import type { SshHostSpec } from '../../src/transport/ssh-host-spec.js';
import type { SshSessionOptions } from '../../src/transport/ssh-session-options.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { startEmptyAgent, startSsh2Server, writeKey } from './connect-support.js';

describe('identity files gridops cannot use', () => {
  let dir: string;
  let encrypted: ReturnType<typeof writeKey>;
  let plain: ReturnType<typeof writeKey>;
  let server: Awaited<ReturnType<typeof startSsh2Server>>;
  let agent: Awaited<ReturnType<typeof startEmptyAgent>>;
  let agentSocket: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-identity-'));
    encrypted = writeKey(join(dir, 'id_encrypted'), 'secret');
    plain = writeKey(join(dir, 'id_plain'));
    // Logs in with the plain key only.
    server = await startSsh2Server((blob) => blob.equals(plain.publicBlob));
    agentSocket = join(dir, 'agent.sock');
    agent = await startEmptyAgent(agentSocket);
  });
  afterAll(async () => {
    await server.stop();
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const spec = (extra: Partial<SshHostSpec> = {}): SshHostSpec => ({ name: 'h1', host: '127.0.0.1', port: server.port, user: 'root', ...extra });
  const session = async (extra: Partial<SshSessionOptions> = {}): Promise<SshSessionOptions> => ({
    knownHosts: await KnownHosts.load(join(dir, `known_hosts-${Math.random()}`)),
    acceptNewHostKeys: true,
    agentSocket: null,
    retry: { retries: 0, refusedRetries: 0, unansweredRetries: 0, baseDelayMs: 10, maxDelayMs: 10 },
    ...extra,
  });
  const failure = async (s: SshHostSpec, o: SshSessionOptions): Promise<ConnectionError> => {
    const err = await SshTransport.connect(s, o).then(
      async (t) => {
        await t.close();
        return new Error('connected');
      },
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(ConnectionError);
    return err as ConnectionError;
  };

  it('an explicit encrypted key and no ssh-agent: an error naming the file, why, and what to do', async () => {
    const err = await failure(spec({ identityFiles: [encrypted.file] }), await session());
    expect(err.message).toBe(`h1: no usable SSH credentials: identity file ${encrypted.file} is encrypted (gridops cannot ask for a passphrase), and no ssh-agent (SSH_AUTH_SOCK is not set)`);
    expect(err.hint).toContain(`ssh-add ${encrypted.file}`);
    expect(err.hint).toContain('SSH_AUTH_SOCK');
    expect(err.hint).toContain('unencrypted key');
  });

  it('an explicit file that is not a private key, and no agent: named, with the fix', async () => {
    const notKey = join(dir, 'not-a-key');
    writeFileSync(notKey, 'hello\n');
    const err = await failure(spec({ identityFiles: [notKey] }), await session());
    expect(err.message).toMatch(new RegExp(`^h1: no usable SSH credentials: identity file ${notKey} is not a private key gridops can read \\(.+\\), and no ssh-agent`));
    expect(err.hint).toMatch(/private key, not its \.pub/);
  });

  it('a public key as the identity file is not offered (gridops cannot sign with it): named, with the fix, never "the host refused" it', async () => {
    const pub = join(dir, 'id_plain.pub');
    writeFileSync(pub, `ssh-ed25519 ${plain.publicBlob.toString('base64')} me@here\n`);
    const err = await failure(spec({ identityFiles: [pub] }), await session());
    expect(err.message).toBe(`h1: no usable SSH credentials: identity file ${pub} is not a private key gridops can read (a public key, not a private key), and no ssh-agent (SSH_AUTH_SOCK is not set)`);
    expect(err.hint).toMatch(/private key, not its \.pub/);
  });

  it("a public key as the identity file with an ssh-agent that holds its private key (none beside it): logs in with the agent, the .pub not taken for an unusable private key", async () => {
    // A real ssh-agent of this test's own, on a socket in its temp dir, ended by its PID.
    const socket = join(dir, 'real-agent.sock');
    const sshAgent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
      execFileSync('ssh-add', ['-q', plain.file], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const pub = join(dir, 'agent-held.pub');
      writeFileSync(pub, `ssh-ed25519 ${plain.publicBlob.toString('base64')} me@here\n`);
      const warned: string[] = [];
      const logger = { debug: () => undefined, info: () => undefined, warn: (_: Record<string, unknown>, message: string) => void warned.push(message) };
      const t = await SshTransport.connect(spec({ identityFiles: [pub] }), await session({ agentSocket: socket, logger }));
      await t.close();
      expect(warned).toEqual([]);
    } finally {
      process.kill(sshAgent.pid!);
    }
  });

  it('an explicit encrypted key with an ssh-agent that does not hold it: the refused login names the file', async () => {
    const asked = agent.asked();
    const err = await failure(spec({ identityFiles: [encrypted.file] }), await session({ agentSocket }));
    expect(agent.asked()).toBeGreaterThan(asked);
    expect(err.message).toMatch(new RegExp(`^h1: authentication failed for root@127\\.0\\.0\\.1:\\d+: the host refused the keys of the ssh-agent \\(SSH_AUTH_SOCK=${agentSocket}\\); `));
    expect(err.message).toContain(`not offered: identity file ${encrypted.file} is encrypted (gridops cannot ask for a passphrase)`);
    expect(err.hint).toContain(`SSH_AUTH_SOCK=${agentSocket}`);
    expect(err.hint).toContain(`ssh-add ${encrypted.file}`);
  });

  it("a public key as the identity file, with an ssh-agent that holds no key the host takes: the hint names the .pub the agent's key was chosen by, not 'names none'", async () => {
    const other = writeKey(join(dir, 'id_other'));
    const pub = join(dir, 'id_other_agent.pub');
    writeFileSync(pub, `ssh-ed25519 ${other.publicBlob.toString('base64')} me@here\n`);
    const err = await failure(spec({ identityFiles: [pub] }), await session({ agentSocket }));
    expect(err.message).toMatch(new RegExp(`^h1: authentication failed for root@127\\.0\\.0\\.1:\\d+: the host refused the keys of the ssh-agent \\(SSH_AUTH_SOCK=${agentSocket}\\)$`));
    expect(err.hint).toBe(`check that ~root/.ssh/authorized_keys on the host holds the public key (${pub}, whose private key the ssh-agent must hold: \`ssh-add -L\` lists the agent's keys), or set ssh.user and ssh.identityFile in the topology; try it with \`ssh -i ${pub} -p ${server.port} root@HOST\``);
    expect(err.hint).not.toContain('names none');
  });

  it('a key the host refuses: named by file and fingerprint, with a hint that is the same for every host', async () => {
    const refused = writeKey(join(dir, 'id_refused'));
    const err = await failure(spec({ identityFiles: [refused.file] }), await session());
    expect(err.message).toMatch(new RegExp(`^h1: authentication failed for root@127\\.0\\.0\\.1:${server.port}: the host refused ${refused.file} \\(ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}\\)$`));
    expect(err.hint).toBe(`check that ~root/.ssh/authorized_keys on the host holds the public key (${refused.file}.pub), or set ssh.user and ssh.identityFile in the topology; try it with \`ssh -i ${refused.file} -p ${server.port} root@HOST\``);
    // Another host with the same user, port and key gets the same hint, so a run says it once.
    const again = await failure({ ...spec({ identityFiles: [refused.file] }), name: 'h2', host: '127.0.0.1' }, await session());
    expect(again.message.startsWith('h2: ')).toBe(true);
    expect(again.hint).toBe(err.hint);
  });

  it('an encrypted key beside a usable one (IdentityFile lines of ~/.ssh/config): the usable one logs in', async () => {
    const t = await SshTransport.connect(spec({ identityFiles: [encrypted.file, plain.file] }), await session());
    await t.close();
  });

  describe('default keys (~/.ssh/id_*), not named by the user', () => {
    // os.homedir() does not see a HOME set inside jest: the session names the default keys.
    let defaultKey: string;
    beforeAll(() => {
      mkdirSync(join(dir, 'home', '.ssh'), { recursive: true, mode: 0o700 });
      defaultKey = writeKey(join(dir, 'home', '.ssh', 'id_ed25519'), 'secret').file;
    });
    const defaults = () => ({ defaultIdentityFiles: [defaultKey, join(dir, 'home', '.ssh', 'id_rsa')] });

    it('an encrypted default key and no agent: the error names it', async () => {
      const err = await failure(spec(), await session(defaults()));
      expect(err.message).toBe(`h1: no usable SSH credentials: default key ${defaultKey} is encrypted (gridops cannot ask for a passphrase), and no ssh-agent (SSH_AUTH_SOCK is not set)`);
    });

    it('an encrypted default key and an agent that holds nothing the host takes: the refused login names it', async () => {
      const err = await failure(spec(), await session({ ...defaults(), agentSocket }));
      expect(err.message).toContain(`not offered: default key ${defaultKey} is encrypted`);
      expect(err.hint).toContain(`ssh-add ${defaultKey}`);
    });
  });
});
