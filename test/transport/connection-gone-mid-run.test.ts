/**
 * A connection whose socket the host or the network ended under the run, before its close reached
 * the transport: ssh2 throws "Not connected" at once from exec and sftp. That is the host's
 * connection error, with a hint, not a bare "Not connected" in its plan (what a kept plan said of
 * a host whose traffic was dropped: docs/transport.md, Kept connections).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { ConnectionError } from '../../src/errors/index.js';
import { BecomePassword } from '../../src/transport/become.js';
import { formatKnownHostsLine, KnownHosts } from '../../src/transport/known-hosts.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { writeKey } from './connect-support.js';
import { startSleepingHost } from './keeper-test-host.js';

describe('a connection gone under the run', () => {
  let dir: string;
  let host: Awaited<ReturnType<typeof startSleepingHost>>;
  let keyFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-connection-gone-'));
    const key = writeKey(join(dir, 'id_ed25519'));
    keyFile = key.file;
    host = await startSleepingHost(key.publicBlob);
  });
  afterAll(async () => {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function connected(): Promise<SshTransport> {
    const knownHosts = KnownHosts.fromTexts([{ file: join(dir, 'known_hosts'), text: `${formatKnownHostsLine('127.0.0.1', host.port, host.hostKey)}\n`, readOnly: false }]);
    return SshTransport.connect(
      { name: 'n1', host: '127.0.0.1', port: host.port, user: 'root', identityFiles: [keyFile], readyTimeoutMs: 5000 },
      { knownHosts, acceptNewHostKeys: false, readyTimeoutMs: 5000, becomePassword: new BecomePassword(undefined, {}), agentSocket: null },
    );
  }
  /** Ends the client's socket as the far end's end would leave it: no longer writable, its close not yet seen. */
  const endSocket = (t: SshTransport) => (t as unknown as { client: { _sock: Socket } }).client._sock.end();

  it("a command: the host's connection error, naming it, with what to do", async () => {
    const t = await connected();
    expect((await t.exec('echo live')).code).toBe(0);
    endSocket(t);
    const err = (await t.exec('true').catch((e: unknown) => e)) as ConnectionError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toBe('n1: the connection is gone (Not connected)');
    expect(err.hint).toBe('the host or the network ended it during the run: check that the host is up, then rerun');
    await t.close();
  });

  it('a held read and a file read (SFTP) alike', async () => {
    const t = await connected();
    endSocket(t);
    await expect(t.execHeld('echo read', { timeoutMs: 5000 })).rejects.toThrow('n1: the connection is gone (Not connected)');
    await expect(t.read('/etc/hostname')).rejects.toBeInstanceOf(ConnectionError);
    await t.close();
  });
});
