/**
 * The `gridops lab` commands themselves: preflight errors are one line and exit 1 with nothing
 * built, and Ctrl-C during `up` leaves nothing that `down` cannot remove.
 */
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readState } from '../../src/lab/state.js';
import { labUnavailableReason } from './support/lab.js';
import { leftovers } from './support/leftovers.js';

const reason = labUnavailableReason();
const run = (args: string[], opts: { env?: Record<string, string> } = {}) => execa(process.execPath, ['bin/run.js', ...args], { reject: false, env: opts.env, stdin: 'ignore' });

(reason ? describe.skip : describe)('gridops lab (CLI)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-lab-e2e-cli-'));
  });
  afterEach(async () => {
    await run(['lab', 'down', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('not root: one clear line, exit 1, nothing built', async () => {
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, 'bin/run.js', 'lab', 'up', '--dir', join(dir, 'x')], { reject: false, stdin: 'ignore', env: { HOME: '/tmp' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual(['error: gridops lab needs root (it creates network namespaces, bridges, mounts and cgroups)']);
    expect(r.stderr).toMatch(/^hint: /m);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  test('an impossible shape is refused before anything is built', async () => {
    const r = await run(['lab', 'up', '--kind', 'netns', '--nodes', '2', '--subgrids', '3', '--dir', dir]);
    expect(r.exitCode).toBe(64); // a usage error, as README's exit table says for a flag value that cannot be used
    expect(r.stderr).toMatch(/--nodes \(2\) must be at least --subgrids \(3\)/);
    expect(existsSync(join(dir, 'lab.json'))).toBe(false);
  });

  test('--json prints the typed results of up, status and down', async () => {
    const up = await run(['lab', 'up', '--kind', 'netns', '--nodes', '3', '--dir', dir, '--json']);
    expect(up.exitCode).toBe(0);
    const u = JSON.parse(up.stdout);
    expect(u).toMatchObject({ kind: 'netns', reused: false, topology: join(dir, 'topology.yaml') });
    expect(u.nodes).toHaveLength(3);
    const st = await run(['lab', 'status', '--dir', dir, '--json']);
    expect(st.exitCode).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ healthy: true });
    const down = await run(['lab', 'down', '--dir', dir, '--json']);
    expect(JSON.parse(down.stdout)).toMatchObject({ removed: true });
    const none = await run(['lab', 'status', '--dir', dir]);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toMatch(/no lab in/);
  }, 60_000);

  test('Ctrl-C during up leaves nothing that down cannot remove', async () => {
    const child = execa(process.execPath, ['bin/run.js', 'lab', 'up', '--kind', 'container', '--nodes', '6', '--dir', dir, '--verbose'], { reject: false, stdin: 'ignore' });
    // Interrupt while nodes are booting.
    await new Promise<void>((resolve) => {
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('nodes: starting')) setTimeout(resolve, 150);
      });
      setTimeout(resolve, 20_000).unref();
    });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    const st = readState(dir)!;
    expect(st.phase).toBe('building');
    const down = await run(['lab', 'down', '--dir', dir]);
    expect(down.exitCode).toBe(0);
    expect(leftovers(st)).toEqual({ links: [], netns: [], cgroups: [], mounts: [], processes: [] });
    expect(existsSync(join(dir, 'lab.json'))).toBe(false);
  }, 120_000);

  test('status exits 1 when a node is down', async () => {
    expect((await run(['lab', 'up', '--kind', 'netns', '--nodes', '2', '--dir', dir])).exitCode).toBe(0);
    const st = readState(dir)!;
    process.kill(st.nodes[1]!.pid!, 'SIGKILL');
    const r = await run(['lab', 'status', '--dir', dir]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/node-02 .*FAIL/);
    expect(readFileSync(st.files.topology, 'utf8')).toContain('node-02');
  }, 60_000);
});
