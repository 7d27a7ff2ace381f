/**
 * `gridops state list FILE | awk 'NR>1 {print $1}'`, the command's own example, through the built
 * binary: stdout is the table alone, so the pipe yields exactly the node names; the footer (the
 * state file and its serial) goes to stderr. No host is contacted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statePaths, writeState, type HostState } from '../../src/state/state.js';

const root = new URL('../../', import.meta.url).pathname;
const example = "state list topology.yaml | awk 'NR>1 {print $1}'";

describe("state list's pipe example (the binary)", () => {
  let dir: string;
  const sh = (script: string) => spawnSync('sh', ['-c', script.replace(/^state /, `${root}bin/run.js state `)], { cwd: dir, encoding: 'utf8', timeout: 20_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
  const record: HostState = { node: { address: '10.0.0.1', region: 'r1', subgrid: 's1', user: 'ops', port: 22 }, topologyHash: 'h', playbooks: [], gridopsVersion: '0.1.0', agentVersion: null, appliedAt: '2026-01-01T00:00:00.000Z', changesApplied: 0, lastOutcome: 'applied' };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-state-list-pipe-'));
    writeFileSync(join(dir, 'topology.yaml'), 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n          - { name: n2, address: 10.0.0.2 }\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the example is in the command help', () => {
    expect(spawnSync(`${root}bin/run.js`, ['state', 'list', '--help'], { encoding: 'utf8' }).stdout).toContain(example);
  });

  it('with a state: exactly the node names on stdout, the state file and its serial on stderr', async () => {
    await writeState(statePaths(join(dir, 'topology.yaml'), 'g').state, { format: 'gridops-state/v1', grid: 'g', serial: 0, hosts: { n1: record, gone: record } });
    const r = sh(example);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('n1\nn2\ngone\n');
    expect(r.stderr).toContain('.gridops/g.state.json (serial 1)');
  });

  it('with no state yet: exactly the node names on stdout, the notice on stderr', () => {
    const r = sh(example);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('n1\nn2\n');
    expect(r.stderr).toContain('no state yet at .gridops/g.state.json');
  });
});
