/**
 * `--json` keeps stdout for the result's JSON document; warnings and progress are never dropped
 * for it: they go to stderr as JSON lines, `{"type":"warning",...}` and `{"type":"progress",...}`
 * (README: trust given on first use is never silent, inert settings never silently ignored).
 * Through the built binary, against a node nothing answers on: no SSH server needed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { statePaths, writeState } from '../../src/state/state.js';

const root = new URL('../../', import.meta.url).pathname;
const file = 'test/fixtures/warnings/inert-sandbox-unreachable.yaml';
const inert = 'hypervisor.sandbox.vcpus does nothing here: hypervisor.enabled is false on every node it applies to';

/** Every stderr line, each of which must be one JSON object. */
const jsonLines = (stderr: string) => stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; message: string });

describe('--json: warnings and progress as JSON lines on stderr, stdout one JSON document', () => {
  let dir: string;
  const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-json-warnings-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('plan --json: the topology warning at its line, and the progress, both as JSON lines', () => {
    const r = run('plan', file, '--json', '--state-dir', dir);
    expect(r.status).toBe(1); // the unreachable host
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'gridops-plan/v1', hosts: [{ host: 'n1', error: { kind: 'unreachable' } }] });
    const lines = jsonLines(r.stderr);
    expect(lines).toContainEqual({ type: 'warning', file, line: 8, column: 35, path: 'defaults.hypervisor.sandbox.vcpus', message: inert, hint: expect.stringContaining('hypervisor: { enabled: true }') });
    expect(lines).toContainEqual({ type: 'progress', message: expect.stringMatching(/^connecting to 1 host/), ms: expect.any(Number) });
    expect(lines).toContainEqual({ type: 'progress', message: expect.stringMatching(/^n1: unreachable: /), ms: expect.any(Number) });
  });

  it('apply --json --yes: the topology warning joins the progress lines apply already streams', () => {
    const r = run('apply', file, '--json', '--yes', '--state-dir', dir);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'APPLY_FAILED' });
    const lines = jsonLines(r.stderr);
    expect(lines).toContainEqual(expect.objectContaining({ type: 'warning', file, line: 8, column: 35, message: inert }));
    expect(lines).toContainEqual(expect.objectContaining({ type: 'progress', message: expect.stringMatching(/^connecting to 1 host/) }));
  });

  it('apply --json --yes that fails: the error carries the run\'s result (hosts, unreachable, counts)', () => {
    const r = run('apply', file, '--json', '--yes', '--state-dir', dir);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { code: string; result: { unreachable: Array<{ host: string; error: string }>; hosts: unknown[]; counts: unknown } };
    expect(out.code).toBe('APPLY_FAILED');
    expect(out.result.unreachable[0]!.host).toBe('n1');
    expect(out.result).toHaveProperty('hosts');
    expect(out.result).toHaveProperty('counts');
  });

  it('graph --live --json: what it says of the nodes it reached is a JSON line too', () => {
    const r = run('graph', file, '--live', '--json', '--state-dir', dir);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ live: true, reachable: 0, agentsAnswering: 0 });
    expect(jsonLines(r.stderr)).toContainEqual({ type: 'progress', message: '0/1 nodes reachable, 0 agents answered', ms: expect.any(Number) });
  });

  it('state rm --json: taking over a stale lock is a warning line', async () => {
    const topology = join(dir, 'grid.yaml');
    writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
    const paths = statePaths(topology, 'g');
    await writeState(paths.state, { format: 'gridops-state/v1', grid: 'g', serial: 0, hosts: { gone: { node: { address: '10.0.0.9', region: 'r1', subgrid: 's1', user: 'ops', port: 22 }, topologyHash: 'h', playbooks: [], gridopsVersion: '0.1.0', agentVersion: '0.1.0', appliedAt: '2026-01-01T00:00:00.000Z', changesApplied: 0, lastOutcome: 'applied' } } });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(paths.lock, `${JSON.stringify({ pid: Number(dead), host: hostname(), command: 'gridops apply grid.yaml', startedAt: '2026-01-01T00:00:00.000Z' })}\n`);
    const r = spawnSync(`${root}bin/run.js`, ['state', 'rm', topology, 'gone', '--json'], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ grid: 'g', forgotten: [{ node: 'gone' }] });
    expect(jsonLines(r.stderr)).toEqual([{ type: 'warning', message: `taking over a stale lock left by process ${dead} (gridops apply grid.yaml, started 2026-01-01T00:00:00.000Z), which is no longer running` }]);
  });

  /** The warnings of a run said before or around its connects: each a `warning` line, none a progress line that says `warning: `. */
  const warningsOnly = (stderr: string, pattern: RegExp) => {
    const lines = jsonLines(stderr);
    expect(lines).toContainEqual({ type: 'warning', message: expect.stringMatching(pattern) });
    expect(lines.filter((l) => l.type !== 'warning' && /warning: /.test(l.message ?? ''))).toEqual([]);
    return lines;
  };

  it('apply --json --yes: taking over a stale lock is a warning line, not progress', () => {
    const paths = statePaths(join(root, file), 'inert', dir);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(paths.lock, `${JSON.stringify({ pid: Number(dead), host: hostname(), command: 'gridops apply x.yaml', startedAt: '2026-01-01T00:00:00.000Z' })}\n`);
    const r = run('apply', file, '--json', '--yes', '--state-dir', dir);
    expect(r.status).toBe(1); // the unreachable host
    warningsOnly(r.stderr, new RegExp(`^taking over a stale lock left by process ${dead} `));
  });

  it('apply --site --json --yes: a host of the new site not planned is a warning line', () => {
    const r = run('apply', file, '--site', 'r1/s1', '--json', '--yes', '--state-dir', dir);
    warningsOnly(r.stderr, /^n1 of the new site could not be planned$/);
  });

  it('plan --json: a node the state has and the topology dropped, not decommissioned, is a warning line', async () => {
    const paths = statePaths(join(root, file), 'inert', dir);
    await writeState(paths.state, { format: 'gridops-state/v1', grid: 'inert', serial: 1, hosts: { gone: { topologyHash: 'h', playbooks: [], gridopsVersion: '0.1.0', agentVersion: '0.1.0', appliedAt: '2026-01-01T00:00:00.000Z', changesApplied: 0, lastOutcome: 'applied' } } } as Parameters<typeof writeState>[1]);
    const r = run('plan', file, '--json', '--state-dir', dir);
    warningsOnly(r.stderr, /^gone is in the state but no longer in the topology, and the state does not say where it is/);
  });

  it('apply --persist --accept-new-host-keys --json --yes: --persist not used is a warning line; plain, `warning: …` as before', () => {
    const env = { ...process.env, HOME: dir, NO_COLOR: '1', GRIDOPS_KEEPER_DIR: join(dir, 'keeper') };
    const args = ['apply', file, '--persist', '60s', '--accept-new-host-keys', '--yes', '--state-dir', dir];
    const json = spawnSync(`${root}bin/run.js`, [...args, '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000, env });
    warningsOnly(json.stderr, /^--persist is not used with --accept-new-host-keys/);
    const plain = spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 60_000, env });
    expect(plain.stderr).toMatch(/^warning: --persist is not used with --accept-new-host-keys \(the keeper records no host key\): connections are opened directly and not kept$/m);
  });

  it('inventory --json: a ~/.ssh/config block gridops does not apply is a warning line', () => {
    mkdirSync(join(dir, '.ssh'));
    writeFileSync(join(dir, '.ssh', 'config'), 'Match exec "true"\n  User someone\n');
    // The known_hosts file the fixture checks against (the default ~/.ssh/known_hosts) is there: its absence is a warning of its own (below).
    writeFileSync(join(dir, '.ssh', 'known_hosts'), '');
    const r = spawnSync(`${root}bin/run.js`, ['inventory', file, '--json'], { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: dir } });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('regions');
    expect(jsonLines(r.stderr)).toEqual([{ type: 'warning', message: expect.stringMatching(/\.ssh\/config:1: Match exec is not evaluated/) }]);
  });

  it('inventory --json: a known_hosts file that is not there, which Ansible would check every host against strictly, is a warning line; the inventory is still written (exit 0)', () => {
    const r = spawnSync(`${root}bin/run.js`, ['inventory', file, '--json'], { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: dir } });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('regions');
    expect(jsonLines(r.stderr)).toEqual([{ type: 'warning', message: expect.stringContaining(`the known_hosts file ${join(dir, '.ssh', 'known_hosts')} (gridops' default ssh.knownHosts) is not there, nor its directory ${join(dir, '.ssh')}: Ansible's ssh checks host keys strictly against it and would refuse n1`) }]);
  });

  it('status and graph --live: a ~/.ssh/config block gridops does not apply is a warning too, plain or as a JSON line', () => {
    mkdirSync(join(dir, '.ssh'));
    writeFileSync(join(dir, '.ssh', 'config'), 'Match exec "true"\n  User someone\n');
    const env = { ...process.env, HOME: dir, NO_COLOR: '1' };
    const status = spawnSync(`${root}bin/run.js`, ['status', file, '--state-dir', dir], { cwd: root, encoding: 'utf8', timeout: 60_000, env });
    expect(status.stderr).toMatch(/^warning: .*\.ssh\/config:1: Match exec is not evaluated/m);
    const json = spawnSync(`${root}bin/run.js`, ['status', file, '--state-dir', dir, '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000, env });
    expect(JSON.parse(json.stdout)).toHaveProperty('failures');
    expect(jsonLines(json.stderr)).toContainEqual({ type: 'warning', message: expect.stringMatching(/\.ssh\/config:1: Match exec is not evaluated/) });
    const graph = spawnSync(`${root}bin/run.js`, ['graph', file, '--live', '--state-dir', dir], { cwd: root, encoding: 'utf8', timeout: 60_000, env });
    expect(graph.stderr).toMatch(/^warning: .*\.ssh\/config:1: Match exec is not evaluated/m);
  });
});

