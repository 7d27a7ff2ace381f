/**
 * A lab shape that cannot be built (`--nodes 0`, fewer sub-grids than regions, a grow that would
 * shrink) is a flag value that cannot be used: exit 64 as README's exit table says, before any lab
 * work (no lab directory made, a recorded lab left as it is). Through the built binary; no lab is
 * brought up: the shape is refused first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors/index.js';
import { planLab } from '../../src/lab/plan.js';
import type { LabState } from '../../src/lab/types.js';

const root = new URL('../../', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } });

describe('lab: a shape that cannot be built is a usage error', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'gridops-lab-shape-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('lab up --nodes 0: exit 64, nothing created', () => {
    const dir = join(tmp, 'lab');
    const r = run('lab', 'up', '--nodes', '0', '--dir', dir);
    expect(r.status).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain('error: --nodes must be a whole number of 1 or more (got 0)');
    expect(existsSync(dir)).toBe(false);
  });

  it('lab up --json with more regions than sub-grids: exit 64, code USAGE', () => {
    const r = run('lab', 'up', '--nodes', '4', '--regions', '2', '--dir', join(tmp, 'lab'), '--json');
    expect(r.status).toBe(ExitCode.USAGE);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/^each region needs a sub-grid/) });
  });

  it('lab grow to fewer nodes than the lab has: exit 64, the lab record untouched', () => {
    const dir = join(tmp, 'lab');
    mkdirSync(dir, { mode: 0o755 });
    const plan = planLab({ kind: 'container', nodes: 2, subgrids: 1, regions: 1 }, 3);
    const runDir = join(dir, 'nodes');
    const state: LabState = {
      version: 1,
      phase: 'ready',
      dir,
      createdAt: '2026-12-05T00:00:00Z',
      plan,
      runDir,
      files: { topology: join(dir, 'topology.yaml'), knownHosts: join(dir, 'known_hosts'), identity: join(dir, 'id_ed25519'), publicKey: join(dir, 'id_ed25519.pub'), state: join(dir, 'lab.json') },
      nodes: plan.nodes.map((n) => ({ ...n, dir: join(runDir, n.name), cgroupDirs: [] })),
    };
    writeFileSync(join(dir, 'lab.json'), JSON.stringify(state));
    const r = run('lab', 'grow', '--nodes', '1', '--dir', dir);
    expect(r.status).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain('error: --nodes 1 is fewer than the lab has (2)');
    expect(JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8'))).toEqual(state);
  });
});
