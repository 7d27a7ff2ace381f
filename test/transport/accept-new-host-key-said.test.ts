/**
 * A host key recorded with --accept-new-host-keys is said on the run's own output when it is
 * recorded (OpenSSH's "Permanently added" line), with its fingerprint and where it went; a key
 * already recorded says nothing. Against an in-process ssh2 server.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import type { SshHostSpec } from '../../src/transport/ssh-host-spec.js';
import type { SshSessionOptions } from '../../src/transport/ssh-session-options.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { startSsh2Server, writeKey } from './connect-support.js';

describe('a host key recorded with --accept-new-host-keys', () => {
  let dir: string;
  let key: ReturnType<typeof writeKey>;
  let server: Awaited<ReturnType<typeof startSsh2Server>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-accept-new-'));
    key = writeKey(join(dir, 'id_plain'));
    server = await startSsh2Server((blob) => blob.equals(key.publicBlob));
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const spec = (): SshHostSpec => ({ name: 'h1', host: '127.0.0.1', port: server.port, user: 'root', identityFiles: [key.file] });
  const session = async (file: string, said: string[]): Promise<SshSessionOptions> => ({
    knownHosts: await KnownHosts.load(file),
    acceptNewHostKeys: true,
    agentSocket: null,
    retry: { retries: 0, refusedRetries: 0, unansweredRetries: 0, baseDelayMs: 10, maxDelayMs: 10 },
    warn: (line) => said.push(`warning: ${line}`),
  });

  it('is said once, with its fingerprint and the file and line it went to', async () => {
    const file = join(dir, 'known_hosts');
    const said: string[] = [];
    const first = await SshTransport.connect(spec(), await session(file, said));
    await first.close();
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(new RegExp(`^warning: h1: recorded new ssh-ed25519 host key SHA256:\\S+ for \\[127\\.0\\.0\\.1\\]:${server.port} in ${file}:1 \\(--accept-new-host-keys\\); verify this fingerprint out of band$`));
    expect(readFileSync(file, 'utf8')).toContain(`[127.0.0.1]:${server.port} ssh-ed25519 `);

    // Known now: nothing to say on the next connection.
    const again: string[] = [];
    const second = await SshTransport.connect(spec(), await session(file, again));
    await second.close();
    expect(again).toEqual([]);
  });

  it("is written hashed where the host's HashKnownHosts (~/.ssh/config) says yes, as OpenSSH appends it", async () => {
    const file = join(dir, 'known_hosts_hashed');
    const t = await SshTransport.connect({ ...spec(), hashKnownHosts: true }, await session(file, []));
    await t.close();
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|\S+ ssh-ed25519 /);
  });

  it('refuses the key as changed when another run recorded a different one after this run read known_hosts', async () => {
    const file = join(dir, 'known_hosts_race');
    const said: string[] = [];
    const opts = await session(file, said); // read while the host was unknown
    // Meanwhile another run (or a handshake to the same address) recorded another key for it.
    const other = await KnownHosts.load(file);
    const attacker = writeKey(join(dir, 'id_other')).publicBlob;
    expect((await other.add('127.0.0.1', server.port, attacker)).kind).toBe('added');
    await expect(SshTransport.connect(spec(), opts)).rejects.toMatchObject({ code: 'HOST_KEY', message: expect.stringMatching(/REMOTE HOST IDENTIFICATION HAS CHANGED/) });
    expect(said).toEqual([]);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
