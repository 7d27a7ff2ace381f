/**
 * What an operator sees through the built binary when a host is not there: a refused port is
 * reported after one short retry, and Ctrl-C while a host hangs in its handshake ends the run at
 * once (exit 130, nothing changed) rather than at the node's connect timeout. Hosts on loopback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SilentHosts, eventually, oneSubgridTopology, writeKey } from '../transport/connect-support.js';
import { freePort } from '../transport/sshd-harness.js';

const root = new URL('../../', import.meta.url).pathname;

describe('an unreachable host, through the binary', () => {
  let dir: string;
  let hosts: SilentHosts;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-interrupt-connect-'));
    writeKey(join(dir, 'id'));
    writeFileSync(join(dir, 'known_hosts'), '');
    hosts = await SilentHosts.start(['127.0.0.1']);
    // A home of its own: no ~/.ssh/config, cache or keeper of the user's.
    env = { ...process.env, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), FORCE_COLOR: '0', NO_COLOR: '1' };
    delete env.GRIDOPS_PERSIST;
  });
  afterAll(async () => {
    await hosts.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A one-node topology for 127.0.0.1:`port`; returns its path. */
  function topology(name: string, port: number): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, oneSubgridTopology(`port: ${port}, identityFile: ${join(dir, 'id')}, knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 127.0.0.1 }'], name));
    return file;
  }

  it('a refused port: plan reports the host after one retry', async () => {
    // A port that was just free: nothing listens there, so a connect is refused.
    const r = spawnSync(`${root}bin/run.js`, ['plan', topology('refused', await freePort())], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/n1: unreachable: cannot connect to 127\.0\.0\.1:\d+ after 2 attempts: connect ECONNREFUSED/);
  });

  it('Ctrl-C while a host hangs in its handshake: exit 130 at once, nothing changed', async () => {
    const child = spawn(`${root}bin/run.js`, ['plan', topology('silent', hosts.port)], { cwd: dir, env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
    try {
      // The host accepted the connection, and the handshake waits for a banner that never comes.
      expect(await eventually(() => hosts.seen.get('127.0.0.1')!.length > 0, 10_000)).toBe(true);
      const sent = Date.now();
      child.kill('SIGINT');
      const { code, at } = await exited;
      expect(code).toBe(130);
      expect(at - sent).toBeLessThan(1000);
      expect(stderr).toContain('n1: unreachable: interrupted while connecting');
      expect(stderr).toContain('error: interrupted while planning; nothing was changed');
    } finally {
      child.kill('SIGKILL');
    }
  }, 20_000);
});
