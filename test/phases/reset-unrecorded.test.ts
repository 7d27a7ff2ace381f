/**
 * `gridops reset` of a node the state has no record of (never applied): its plan marks it, so that
 * nothing the run says has the state keep or forget what it never held.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../../src/errors/index.js';
import type { Plan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/plan/render.js';
import { runReset } from '../../src/phases/reset.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { statePaths } from '../../src/state/state.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { dryRun } from './dry-run-batch.js';

const local = new LocalTransport('local');
let dir: string;
let topology: string;

const record = { topologyHash: 'earlier', playbooks: ['node-base'], gridopsVersion: '0', agentVersion: null, appliedAt: '2026-01-01T00:00:00.000Z', changesApplied: 1, lastOutcome: 'applied' };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-reset-unrecorded-'));
  topology = join(dir, 'grid.yaml');
  writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n          - { name: n2, address: 10.0.0.2 }\n          - { name: n3, address: 10.0.0.3 }\n');
  mkdirSync(join(dir, '.gridops'));
  // n1 was applied; n2 and n3 never were.
  writeFileSync(statePaths(topology, 'g').state, JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: record } }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('marks the nodes without a record, reached or not, and says of neither that the state keeps or forgets it', async () => {
  let plan: Plan | undefined;
  const options: ApplyOptions = {
    topologyFile: topology,
    concurrency: 5,
    acceptNewHostKeys: false,
    progress: () => undefined,
    failFast: false,
    confirm: async () => false,
    emit: () => undefined,
    onPlan: (p) => (plan = p),
    connect: async (node) => {
      if (node.name === 'n3') throw new ConnectionError('n3', 'cannot connect to 10.0.0.3:22', 'check that the host is up');
      return new RecordingTransport(node.name).on(/[\s\S]*/, (command, { options: o }) => local.exec(command, { stdin: o.stdin })).on(/^sh -s$/, (_c, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    },
  };
  await runReset(options).catch(() => undefined);
  expect(plan!.hosts.map((h) => [h.host, h.decommission, h.unrecorded])).toEqual([
    ['n1', true, undefined],
    ['n2', true, true],
    ['n3', true, true],
  ]);
  const text = renderPlan(plan!, { command: 'reset' });
  expect(text).toContain('n3 (10.0.0.3) DECOMMISSION, not reached: the state has no record of it (never applied), and the next reset tries again');
  expect(text).not.toContain('n3 (10.0.0.3) DECOMMISSION, not reached: it stays in the state');
});
