/**
 * `status` and `graph --live` connect to every node and may wait (`--wait`): Ctrl-C or SIGTERM
 * ends them as it ends plan, with the notice and exit 130 (README's exit table), not with a
 * silent 143. Through the built binary, on a host that accepts and never answers (hosts on loopback).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SilentHosts, eventually, oneSubgridTopology, writeKey } from '../transport/connect-support.js';

const root = new URL('../../', import.meta.url).pathname;

describe('a signal during status or graph --live, through the binary', () => {
  let dir: string;
  let hosts: SilentHosts;
  let env: NodeJS.ProcessEnv;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-interrupt-status-'));
    writeKey(join(dir, 'id'));
    writeFileSync(join(dir, 'known_hosts'), '');
    hosts = await SilentHosts.start(['127.0.0.1']);
    env = { ...process.env, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), FORCE_COLOR: '0', NO_COLOR: '1' };
    delete env.GRIDOPS_PERSIST;
    file = join(dir, 'silent.yaml');
    writeFileSync(file, oneSubgridTopology(`port: ${hosts.port}, identityFile: ${join(dir, 'id')}, knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 127.0.0.1 }'], 'silent'));
  });
  afterAll(async () => {
    await hosts.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs gridops with `args`, sends `signal` once the host has been contacted; the exit code and stderr. */
  async function interrupted(args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string; stdout: string }> {
    const before = hosts.seen.get('127.0.0.1')!.length;
    const child = spawn(`${root}bin/run.js`, args, { cwd: dir, env });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      expect(await eventually(() => hosts.seen.get('127.0.0.1')!.length > before, 10_000)).toBe(true);
      child.kill(signal);
      return { code: await exited, stderr, stdout };
    } finally {
      child.kill('SIGKILL');
    }
  }

  it('SIGTERM during status --wait: exit 130, with the notice and the error', async () => {
    const r = await interrupted(['status', file, '--wait', '20s', '--state-dir', dir], 'SIGTERM');
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('terminated (SIGTERM): stopping; status changes nothing (send SIGTERM again to quit now)');
    expect(r.stderr).toMatch(/^error: interrupted: status stopped before every node answered; nothing was changed$/m);
  }, 20_000);

  it('Ctrl-C during status --json: exit 130, the error (with what was seen) as JSON', async () => {
    const r = await interrupted(['status', file, '--json', '--state-dir', dir], 'SIGINT');
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'INTERRUPTED', result: { nodes: [{ node: 'n1', reachable: false }] } });
    // stderr stays JSON lines: the notice is one of them, not plain text among them.
    const lines = r.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string });
    expect(lines).toContainEqual({ type: 'interrupt', signal: 'SIGINT', message: 'interrupted: stopping; status changes nothing (Ctrl-C again to quit now)' });
  }, 20_000);

  it('Ctrl-C during graph --live: exit 130, with the notice', async () => {
    const r = await interrupted(['graph', file, '--live', '--state-dir', dir], 'SIGINT');
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted: stopping; graph changes nothing (Ctrl-C again to quit now)');
    expect(r.stderr).toMatch(/^error: interrupted: graph stopped before every node answered; nothing was changed$/m);
  }, 20_000);
});
