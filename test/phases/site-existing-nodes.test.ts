import { jest } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, PlanningError } from '../../src/errors/index.js';
import { formatApplySummary } from '../../src/formatters/apply-summary.js';
import { runApply } from '../../src/phases/apply.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { localRecording, localRunOptions } from '../support/local-run.js';

jest.setTimeout(60_000);

let dir: string;
let topology: string;
let playbook: string;

/** Every command goes to a real local shell; `down` names the nodes that cannot be reached. */
const connectExcept = (down: string[] = []) => async (node: { name: string }) => {
  if (down.includes(node.name)) throw new ConnectionError(node.name, `cannot connect to ${node.name}: connect ECONNREFUSED`);
  return localRecording(node.name);
};

function options(extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return localRunOptions({ topologyFile: topology, playbooks: [playbook] }, { connect: connectExcept(), ...extra });
}

/** r1 holds s1 (n1, n2), which runs already, and s2 (n3), the new part. */
const TOPOLOGY = `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2 }
      - name: s2
        nodes:
          - { name: n3, address: 10.0.0.3 }
`;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-site-existing-'));
  topology = join(dir, 'grid.yaml');
  writeFileSync(topology, TOPOLOGY);
  mkdirSync(join(dir, 'pb'));
  mkdirSync(join(dir, 'out'));
  playbook = join(dir, 'pb', 'local.yaml');
  writeFileSync(playbook, `name: local\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.txt')}", content: "{{node.name}} of {{subgrid.name}}\\n" }\n`);
  // s1 was applied before: the state records n1 and n2.
  await runApply(options({ limit: ['n1', 'n2'] }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('--site naming a region or sub-grid that already runs (review site 1)', () => {
  it('an existing node of the site with a planned change refuses the run, naming it and what to do; nothing is changed', async () => {
    writeFileSync(join(dir, 'out', 'n1.txt'), 'drifted\n');
    const err = await runApply(options({ site: 'r1' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanningError);
    expect((err as PlanningError).message).toBe('--site r1 would leave these existing hosts with planned changes: n1 (1, of the site but not new); nothing was changed');
    expect((err as PlanningError).hint).toContain('n1 is of r1 but not new (the state records it as applied, or it runs an agent): a --site run bootstraps only new nodes');
    expect((err as PlanningError).hint).toContain('Apply it first without --site (`gridops plan` reviews it, --rolling restarts agents a batch at a time) or with `--limit n1`');
    expect(readFileSync(join(dir, 'out', 'n1.txt'), 'utf8')).toBe('drifted\n');
    expect(existsSync(join(dir, 'out', 'n3.txt'))).toBe(false);
    // Widened on purpose: the existing host's change is applied too.
    const widened = await runApply(options({ site: 'r1', allowExistingChanges: true }));
    expect(widened.hosts.map((h) => [h.host, h.status])).toEqual([['n1', 'applied'], ['n2', 'unchanged'], ['n3', 'applied']]);
  });

  it('with no change on its existing nodes, only the new ones are applied, and the run says which are new', async () => {
    const said: string[] = [];
    const result = await runApply(options({ site: 'r1', progress: (m) => said.push(m) }));
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([['n1', 'unchanged'], ['n2', 'unchanged'], ['n3', 'applied']]);
    expect(said).toContain('new site r1: n3; the 2 other hosts plan no change and are not touched');
  });

  it('an existing node of the site not reached is an existing host not checked, not a new node that failed', async () => {
    const said: string[] = [];
    const result = await runApply(options({ site: 'r1', connect: connectExcept(['n2']), progress: (m) => said.push(m) }));
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([['n1', 'unchanged'], ['n3', 'applied']]);
    expect(result.notChecked).toEqual(['n2']);
    expect(said).toContain('warning: could not check that the existing host n2 (of the site, not new) plans no change (not reached); this run does not touch it');
    // Not "outside the new site" (review phases2 3): it is of the site, only not new. Like any existing host not reached, it is named and the run exits 0 (README, --site).
    expect(result.notCheckedOfSite).toEqual(['n2']);
    expect(formatApplySummary(result)).toContain('  UNREACHABLE n2 (of the site, not new: not touched, not checked for changes): ');
    const outside = await runApply(options({ site: 'r1/s2', connect: connectExcept(['n2']) }));
    expect(outside.notCheckedOfSite).toBeUndefined();
    expect(formatApplySummary(outside)).toContain('  UNREACHABLE n2 (outside the new site: not touched, not checked for changes): ');
  });

  it('a node whose first bootstrap failed is still new: a second --site run finishes it', async () => {
    const state = join(dir, '.gridops', 'g.state.json');
    const recorded = JSON.parse(readFileSync(state, 'utf8'));
    recorded.hosts.n3 = { ...recorded.hosts.n1, appliedAt: '', lastOutcome: 'failed', node: { ...recorded.hosts.n1.node, address: '10.0.0.3', subgrid: 's2' } };
    writeFileSync(state, JSON.stringify(recorded));
    const result = await runApply(options({ site: 'r1/s2' }));
    expect(result.hosts.find((h) => h.host === 'n3')!.status).toBe('applied');
  });
});
