/**
 * A known_hosts line gridops cannot use is ignored, as ssh ignores it, but never silently: each is
 * said once per run (a run that connects twice reads the files twice), with its file and line, on
 * the run's output and in its log; in the global files too, and with --persist (the keeper reads
 * the same lines).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet, type ConnectOptions } from '../../src/transport/fleet.js';
import { nodesOf, startRecordingKeeper } from './connect-support.js';

describe('known_hosts lines that cannot be used', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-khproblems-'));
  const knownHosts = join(dir, 'known_hosts');
  const global = join(dir, 'ssh_known_hosts');
  const sshConfigFile = join(dir, 'ssh_config');
  const content = '# comment\n10.0.0.1 ssh-ed25519\n@bogus 10.0.0.2 ssh-ed25519 AAAA\n';
  writeFileSync(knownHosts, content);
  writeFileSync(global, '* ssh-foo AAAA\n');
  writeFileSync(sshConfigFile, `GlobalKnownHostsFile ${global}\n`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Port 1 on loopback, and the run stopped before any handshake.
  const nodes = () => nodesOf(`port: 1, knownHosts: ${knownHosts}`, ['{ name: n1, address: 127.0.0.1 }', '{ name: n2, address: 127.0.0.2 }']);

  async function run(options: Partial<ConnectOptions>): Promise<{ said: string[]; logged: string[] }> {
    const said: string[] = [];
    const logged: string[] = [];
    const noop = () => undefined;
    const fleet = new Fleet();
    const stop = new AbortController();
    stop.abort();
    const connect: ConnectOptions = { concurrency: 2, acceptNewHostKeys: false, signal: stop.signal, sshConfigFile, warn: (m) => said.push(`warning: ${m}`), logger: { debug: noop, info: noop, warn: (_f, m) => logged.push(m) }, ...options };
    await fleet.readEach(nodes(), connect, async () => 'read');
    await fleet.readEach(nodes(), connect, async () => 'read');
    await fleet.close();
    return { said, logged };
  }

  const expected = [
    `warning: ${knownHosts}:2: expected "hosts key-type base64-key [comment]"; the line is ignored`,
    `warning: ${knownHosts}:3: unknown marker @bogus; the line is ignored`,
    `warning: ${global}:1: unsupported key type ssh-foo; the line is ignored`,
  ];

  it('says each once, with its file and line, on the output and in the log', async () => {
    const r = await run({});
    expect(r.said).toEqual(expected);
    expect(r.logged).toEqual(expected);
  });

  it('with --persist, through the keeper of both files: the same lines, the global file\'s included', async () => {
    const keeperDir = mkdtempSync(join(tmpdir(), 'gridops-keeper-'));
    const saved = process.env.GRIDOPS_KEEPER_DIR;
    process.env.GRIDOPS_KEEPER_DIR = keeperDir;
    const keeper = await startRecordingKeeper(knownHosts, content, true, [global]);
    try {
      const r = await run({ persistMs: 60_000 });
      expect(r.said).toEqual(expected);
    } finally {
      await keeper.stop();
      if (saved === undefined) delete process.env.GRIDOPS_KEEPER_DIR;
      else process.env.GRIDOPS_KEEPER_DIR = saved;
      rmSync(keeperDir, { recursive: true, force: true });
    }
  });
});
