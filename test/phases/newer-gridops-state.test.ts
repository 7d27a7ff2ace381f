import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import { runApply } from '../../src/phases/apply.js';
import { runPlan } from '../../src/phases/plan.js';
import { runReset } from '../../src/phases/reset.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { GRIDOPS_VERSION } from '../../src/version.js';
import { connectNoting, localRunOptions } from '../support/local-run.js';

jest.setTimeout(60_000);

let dir: string;
let topology: string;
let playbook: string;
let stateFile: string;
let connected: string[];

const connect = connectNoting((name) => connected.push(name));

function options(extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return localRunOptions({ topologyFile: topology, playbooks: [playbook] }, { connect, ...extra });
}

// Versions around this gridops' own, so the test holds whatever package.json says.
const [major] = GRIDOPS_VERSION.split('.').map(Number) as [number];
const newer = `${major + 1}.0.0`;
const newest = `${major + 2}.0.0`;
const older = `${GRIDOPS_VERSION}-rc.1`;

/** Says each host's record was written by that gridops version. */
function recordedBy(versions: Record<string, string>): void {
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  for (const [host, version] of Object.entries(versions)) state.hosts[host].gridopsVersion = version;
  writeFileSync(stateFile, JSON.stringify(state));
}

async function refusal(run: () => Promise<unknown>): Promise<PlanningError> {
  const err = await run().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PlanningError);
  return err as PlanningError;
}

/**
 * A grid a newer gridops applied, planned or applied by an older one: apply went ahead and
 * deployed this gridops' older agent (agent.version defaults to its own) over the newer one, and
 * rewrote the records. Refused before any connection, as Terraform refuses a state a newer
 * Terraform wrote, unless --allow-older-gridops says going back is meant.
 */
describe('a state a newer gridops wrote', () => {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-newer-'));
    connected = [];
    topology = join(dir, 'grid.yaml');
    stateFile = join(dir, '.gridops', 'g.state.json');
    mkdirSync(join(dir, 'pb'));
    playbook = join(dir, 'pb', 'local.yaml');
    writeFileSync(playbook, `name: local\nresources:\n  - file: { path: "${join(dir, '{{node.name}}.txt')}", content: "{{node.name}}\\n" }\n`);
    writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }, { name: n3, address: 10.0.0.3 }]\n');
    await runApply(options());
    connected = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('apply, plan and reset refuse it before connecting to any host, naming the file, the hosts and versions, and what to do; nothing is changed', async () => {
    recordedBy({ n1: newer, n2: newest, n3: newer });
    const stateBefore = readFileSync(stateFile, 'utf8');
    const written = `the state ${stateFile} was written by gridops ${newest} (host n2) and ${newer} (hosts n1 and n3), newer than this gridops ${GRIDOPS_VERSION}`;
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [() => runApply(options()), 'applying with it would deploy its older agent over theirs', `to go back to ${GRIDOPS_VERSION} on purpose`],
      [() => runApply(options({ playbooks: undefined })), 'applying with it would deploy its older agent over theirs', `to go back to ${GRIDOPS_VERSION} on purpose`],
      [() => runPlan(options()), 'its plan would deploy its older agent over theirs', `to go back to ${GRIDOPS_VERSION} on purpose`],
      [() => runReset(options()), 'resetting with it would remove only what this older gridops knows it installed, then forget the hosts', `to reset with ${GRIDOPS_VERSION} all the same`],
    ];
    for (const [run, consequence, onPurpose] of cases) {
      const err = await refusal(run);
      expect(err.message).toBe(`${written}: ${consequence}; nothing was changed`);
      expect(err.hint).toBe(`use gridops ${newest} or later; ${onPurpose}, run the same command with --allow-older-gridops`);
    }
    expect(connected).toEqual([]);
    expect(readFileSync(stateFile, 'utf8')).toBe(stateBefore);
  });

  it('with --allow-older-gridops, plan and apply go on, and the records then say this gridops', async () => {
    recordedBy({ n1: newer });
    const said: string[] = [];
    await runPlan(options({ allowOlderGridops: true, progress: (m) => said.push(m) }));
    expect(connected.sort()).toEqual(['n1', 'n2', 'n3']);
    expect(said).toContain(`warning: the state ${stateFile} was written by gridops ${newer} (host n1), newer than this gridops ${GRIDOPS_VERSION}: going on, as --allow-older-gridops asks`);
    await runApply(options({ allowOlderGridops: true }));
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).hosts.n1.gridopsVersion).toBe(GRIDOPS_VERSION);
    // Gone back on purpose: the next run is not refused.
    await expect(runPlan(options())).resolves.toBeDefined();
  });

  it('reset with --allow-older-gridops goes on to the hosts', async () => {
    recordedBy({ n2: newer });
    // Reset would remove gridops from this very machine: the connection ends the run, past the check.
    const err = await runReset(options({ allowOlderGridops: true, limit: ['n2'], connect: async (node) => {
      connected.push(node.name);
      throw new Error('reached the host');
    } })).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(PlanningError);
    expect(connected).toEqual(['n2']);
  });

  it('an older or the same gridops, or a version that cannot be ordered against this one, is not refused', async () => {
    // A dev build's or a hand-edited version, and two builds of one version, which semver does not order.
    recordedBy({ n1: older, n2: 'dev', n3: `${GRIDOPS_VERSION}+other.build` });
    await expect(runPlan(options())).resolves.toBeDefined();
    await expect(runApply(options())).resolves.toBeDefined();
    expect(connected.sort()).toEqual(['n1', 'n1', 'n2', 'n2', 'n3', 'n3']);
  });
});
