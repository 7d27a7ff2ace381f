/**
 * `gridops state rm` (Terraform's `state rm`): nodes forgotten in the state file, their hosts not
 * contacted; under the state lock apply takes; a name the state does not record forgets nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockHeldError, NotInStateError } from '../../src/errors/index.js';
import { forgetNodes } from '../../src/state/forget-nodes.js';
import { StateLock } from '../../src/state/lock.js';
import { statePaths, writeState, type GridState, type HostState } from '../../src/state/state.js';
import { checkTopologyText } from '../../src/topology/load.js';
import type { Grid } from '../../src/topology/model.js';
import { appliedRecord } from '../support/host-record.js';

let dir: string;
let paths: ReturnType<typeof statePaths>;
let grid: Grid;

const record = (address: string): HostState => appliedRecord({ address }, { playbooks: ['node-base'], agentVersion: null, changesApplied: 3 });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-forget-'));
  const checked = checkTopologyText(join(dir, 'grid.yaml'), 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
  grid = checked.grid!;
  paths = statePaths(join(dir, 'grid.yaml'), 'g');
  const state: GridState = { format: 'gridops-state/v1', grid: 'g', serial: 6, hosts: { n1: record('10.0.0.1'), n2: record('10.0.0.2'), n3: record('10.0.0.3') } };
  await writeState(paths.state, state); // serial 7 on disk
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const onDisk = () => JSON.parse(readFileSync(paths.state, 'utf8')) as GridState;

describe('forgetting nodes in the state', () => {
  it('forgets the named nodes and keeps the others, in one atomic write of mode 0600, and lets go of the lock', async () => {
    const result = await forgetNodes(grid, paths, ['n2', 'n3', 'n2'], 'gridops state rm grid.yaml n2 n3');
    expect(result).toMatchObject({ grid: 'g', stateFile: paths.state, serial: 8 });
    expect(result.forgotten.map((f) => [f.node, f.record.node?.address, f.inTopology])).toEqual([
      ['n2', '10.0.0.2', false],
      ['n3', '10.0.0.3', false],
    ]);
    const state = onDisk();
    expect(Object.keys(state.hosts)).toEqual(['n1']);
    expect(state.serial).toBe(8);
    expect(statSync(paths.state).mode & 0o777).toBe(0o600);
    // No temp file of the atomic write, and no lock, left behind; the state before it kept as its backup.
    expect(readdirSync(join(dir, '.gridops')).sort()).toEqual(['.gitignore', 'g.state.json', 'g.state.json.backup']);
  });

  it('a node the topology still has may be forgotten too, and says so', async () => {
    const result = await forgetNodes(grid, paths, ['n1'], 'test');
    expect(result.forgotten).toEqual([expect.objectContaining({ node: 'n1', inTopology: true })]);
  });

  it('a name the state does not record: an error naming it and the closest, and nothing is forgotten', async () => {
    const before = readFileSync(paths.state, 'utf8');
    const err = await forgetNodes(grid, paths, ['n2', 'n4'], 'test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotInStateError);
    // A usage error, as a --limit or --site that names nothing is.
    expect((err as NotInStateError).exitCode).toBe(64);
    expect((err as Error).message).toBe(`n4 is not in the state of grid g (${paths.state}, 3 nodes); nothing was forgotten`);
    expect((err as NotInStateError).hint).toBe(`did you mean "n1"? \`gridops state list ${grid.file}\` lists the nodes`);
    expect(readFileSync(paths.state, 'utf8')).toBe(before);
    expect(existsSync(paths.lock)).toBe(false);
  });

  it('a node of the topology the state has no record of: says it has none (nothing to forget) and what `state list` shows for it, with the topology file', async () => {
    await writeState(paths.state, { format: 'gridops-state/v1', grid: 'g', serial: 0, hosts: {} });
    const err = await forgetNodes(grid, paths, ['n1'], 'test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotInStateError);
    expect((err as Error).message).toBe(`n1 has no record in the state of grid g (${paths.state}, 0 nodes): never applied, or forgotten already, so there is nothing to forget; nothing was forgotten`);
    expect((err as NotInStateError).hint).toBe(`\`gridops state list ${grid.file}\` shows n1 as "never applied" (no record); only a node with a LAST RUN there (applied, unchanged, failed or skipped) has a record to forget`);
  });

  it("the closest recorded name is shown with control and bidi characters escaped: it comes from the state file", async () => {
    const tampered: GridState = { format: 'gridops-state/v1', grid: 'g', serial: 9, hosts: { 'web\u202e1': record('10.0.0.1') } };
    await writeState(paths.state, tampered);
    const err = await forgetNodes(grid, paths, ['web11'], 'test').catch((e: unknown) => e);
    expect((err as NotInStateError).hint).toBe(`did you mean "web\\u202e1"? \`gridops state list ${grid.file}\` lists the nodes`);
  });

  it('a name far from every recorded one gets no guess (the one did-you-mean threshold)', async () => {
    const err = await forgetNodes(grid, paths, ['storage-west-17'], 'test').catch((e: unknown) => e);
    expect((err as NotInStateError).hint).toBe(`\`gridops state list ${grid.file}\` lists the nodes`);
  });

  it('a stale lock is taken over, and says so, as apply does', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(paths.lock, `${JSON.stringify({ pid: Number(dead), host: hostname(), command: 'gridops apply grid.yaml', startedAt: '2026-01-01T00:00:00.000Z' })}\n`);
    const said: string[] = [];
    await forgetNodes(grid, paths, ['n2'], 'test', (m) => said.push(m));
    expect(said).toEqual([`taking over a stale lock left by process ${dead} (gridops apply grid.yaml, started 2026-01-01T00:00:00.000Z), which is no longer running`]);
    expect(Object.keys(onDisk().hosts)).toEqual(['n1', 'n3']);
  });

  it('while another run holds the lock: refused, and the state is untouched', async () => {
    const before = readFileSync(paths.state, 'utf8');
    const held = await StateLock.acquire(paths.lock, 'gridops apply grid.yaml');
    try {
      const err = await forgetNodes(grid, paths, ['n2'], 'test').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockHeldError);
      expect(readFileSync(paths.state, 'utf8')).toBe(before);
    } finally {
      await held.release();
    }
  });

  it('with no state yet: every name is unknown, and no state file is written', async () => {
    rmSync(paths.state);
    const err = await forgetNodes(grid, paths, ['n2'], 'test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotInStateError);
    expect((err as Error).message).toMatch(/^n2 is not in the state of grid g \(.*, 0 nodes\); nothing was forgotten$/);
    expect(existsSync(paths.state)).toBe(false);
  });
});

describe('a state rm that forgets nothing creates nothing', () => {
  it('with no state directory yet, an unknown name is refused and no directory, .gitignore or lock is made', async () => {
    const fresh = statePaths(join(dir, 'elsewhere', 'grid.yaml'), 'g');
    const err = await forgetNodes(grid, fresh, ['n9'], 'gridops state rm grid.yaml n9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotInStateError);
    expect((err as Error).message).toContain('nothing was forgotten');
    expect(existsSync(join(dir, 'elsewhere'))).toBe(false);
  });

  it("the state list a refusal suggests reads the same state: the run's --state-dir, quoted", async () => {
    const err = await forgetNodes(grid, paths, ['n4'], 'test', undefined, join(dir, 'my state')).catch((e: unknown) => e);
    expect((err as NotInStateError).hint).toBe(`did you mean "n1"? \`gridops state list ${grid.file} --state-dir '${join(dir, 'my state')}'\` lists the nodes`);
  });
});
