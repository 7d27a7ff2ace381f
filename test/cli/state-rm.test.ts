/**
 * `gridops state rm FILE NODE...` through the built binary: what it says, its exit codes, --json.
 * The state is a file in a temp directory; no host is contacted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statePaths, writeState, type HostState } from '../../src/state/state.js';

const root = new URL('../../', import.meta.url).pathname;

describe('gridops state rm (the binary)', () => {
  let dir: string;
  let topology: string;
  const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: dir, encoding: 'utf8', timeout: 20_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
  const record = (address: string): HostState => ({ node: { address, region: 'r1', subgrid: 's1', user: 'ops', port: 2222 }, topologyHash: 'h', playbooks: [], gridopsVersion: '0.1.0', agentVersion: '0.1.0', appliedAt: '2026-01-01T00:00:00.000Z', changesApplied: 0, lastOutcome: 'applied' });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-state-rm-'));
    topology = join(dir, 'grid.yaml');
    writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
    await writeState(statePaths(topology, 'g').state, { format: 'gridops-state/v1', grid: 'g', serial: 0, hosts: { n1: record('10.0.0.1'), gone: record('10.0.0.9') } });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const hosts = () => Object.keys(JSON.parse(readFileSync(statePaths(topology, 'g').state, 'utf8')).hosts as object);

  it('forgets a node, says where it was and that its host was not touched; exit 0', () => {
    const r = run('state', 'rm', 'grid.yaml', 'gone');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('forgot gone (ops@10.0.0.9:2222, r1/s1, last applied 2026-01-01T00:00:00.000Z)');
    expect(r.stdout).toContain('1 node forgotten, no host contacted (what gridops installed there stays); .gridops/g.state.json (serial 2)');
    expect(hosts()).toEqual(['n1']);
  });

  it('a name the state does not record: exit 64 (as a --limit that names nothing), the closest name, nothing forgotten', () => {
    const r = run('state', 'rm', 'grid.yaml', 'gone', 'goen');
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('error: goen is not in the state of grid g (.gridops/g.state.json, 2 nodes); nothing was forgotten');
    expect(r.stderr).toContain('hint: did you mean "gone"?');
    expect(hosts()).toEqual(['n1', 'gone']);
  });

  it('no node named: a usage error (exit 64)', () => {
    const r = run('state', 'rm', 'grid.yaml');
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('missing NODE');
  });

  it('--json: what was forgotten, with the records', () => {
    const r = run('state', 'rm', 'grid.yaml', 'gone', 'n1', '--json');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ grid: 'g', serial: 2, forgotten: [{ node: 'gone', inTopology: false }, { node: 'n1', inTopology: true }] });
    expect(result.forgotten[0].record.node.address).toBe('10.0.0.9');
    expect(hosts()).toEqual([]);
  });
});
