/**
 * A run stopped by a refused host key names, with the refusal, the hosts of the same run it could
 * not reach at all: one run shows everything to fix before the next (transport/refused-keys.ts).
 * Through the built binary, against a real sshd on loopback whose key the known_hosts file does not
 * have, and a port nothing listens on. As root only (sshd's privilege separation directory).
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oneSubgridTopology } from '../transport/connect-support.js';
import { freePort, makeKey, startSshd, tempDir, type Sshd } from '../transport/sshd-harness.js';

const root = new URL('../../', import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;

(asRoot ? describe : describe.skip)('a refused host key and a host not reached, in one run', () => {
  let dir: string;
  let sshd: Sshd;
  let topology: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = tempDir('gridops-refused-key-');
    const client = makeKey(join(dir, 'id'));
    writeFileSync(join(dir, 'authorized_keys'), `${client.pub}\n`);
    sshd = await startSshd(dir, 'refused-key', makeKey(join(dir, 'host')), join(dir, 'authorized_keys'));
    writeFileSync(join(dir, 'known_hosts'), ''); // the host's key is not in it: refused, not trusted on first use
    const closed = await freePort();
    topology = join(dir, 'topology.yaml');
    writeFileSync(topology, oneSubgridTopology(`identityFile: ${client.file}, knownHosts: ${join(dir, 'known_hosts')}`, [`{ name: n1, address: 127.0.0.1, ssh: { port: ${sshd.port} } }`, `{ name: n2, address: 127.0.0.2, ssh: { port: ${closed} } }`]));
    env = { ...process.env, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), FORCE_COLOR: '0', NO_COLOR: '1' };
    delete env.GRIDOPS_PERSIST;
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const plan = (...extra: string[]) => spawnSync(`${root}bin/run.js`, ['plan', topology, '--state-dir', join(dir, 'state'), ...extra], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });

  it('on a terminal: the refusal, then the host not reached with its own message and hint, indented; the last hint is the key\'s', () => {
    const r = plan();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: n1: unknown host key for \S+: ssh-ed25519 SHA256:\S+ is not in \S+known_hosts\nalso not reached, 1 host to look at before the next run:\n {2}n2: cannot connect to 127\.0\.0\.2:\d+ after 2 attempts: connect ECONNREFUSED[^\n]*\n {6}hint: nothing listens on port \d+ of the host[^\n]*\nhint: .*ssh-keyscan/m);
    expect(r.stdout).not.toMatch(/^\+/m); // no plan: nothing is shown of a grid whose keys are not trusted
  });

  it('--json: `notReached` gives each such host with its own hint', () => {
    const r = plan('--json');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { code: string; notReached: Array<{ host: string; message: string; hint?: string }> };
    expect(out.code).toBe('HOST_KEY');
    expect(out.notReached).toEqual([{ host: 'n2', message: expect.stringMatching(/^cannot connect to 127\.0\.0\.2:\d+ after 2 attempts: connect ECONNREFUSED/), hint: expect.any(String) }]);
  });
});
