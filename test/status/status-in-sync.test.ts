/**
 * `status` judges "in sync" by the state layer's one definition (state/expected-in-sync.ts), the
 * one apply uses to expect a host with nothing to change: a node that owes handlers of an
 * interrupted or failed run, or that an older gridops applied, has work for the next apply, so it
 * is not in sync, and `--strict` fails it with what to run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatGridStatus } from '../../src/formatters/grid-status.js';
import { newerGridopsRecords } from '../../src/phases/newer-gridops-state.js';
import type { GridState } from '../../src/state/state.js';
import { gridStatus } from '../../src/status/grid-status.js';
import { statusFailures } from '../../src/status/status-failures.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { GRIDOPS_VERSION } from '../../src/version.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';

const FACTS = readFileSync(new URL('../facts/fixtures/systemd-container-v1.txt', import.meta.url), 'utf8').replace(/@@gridops-facts:agent@@\n[^@]*/, '@@gridops-facts:agent@@\n0.1.0\n\n');
/** A converged overlay, every agent on the version the state records: nothing but the records to fail `--strict`. */
const VIEWS: Record<string, string> = {
  n1: JSON.stringify({ role: 'leader', regionRole: 'leader', term: 3, superPeer: 'n1', regionPeer: 'n1', members: [], version: '0.1.0' }),
  n2: JSON.stringify({ role: 'member', regionRole: 'inactive', term: 3, superPeer: 'n1', regionPeer: 'n1', members: [], version: '0.1.0' }),
  n3: JSON.stringify({ role: 'member', regionRole: 'inactive', term: 3, superPeer: 'n1', regionPeer: 'n1', members: [], version: '0.1.0' }),
};

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
          - { name: n3, address: 10.0.0.3 }
`;
// The grid's workflow on a node without hypervisor.enabled (phases/workflow-playbooks.ts).
const WORKFLOW = ['node-base', 'qos', 'agent'];

/** A record as host-record writes it after a successful apply of this topology's workflow, by this gridops. */
const applied = (i: number, over: Record<string, unknown> = {}) => ({
  node: { address: `10.0.0.${i}`, region: 'r1', subgrid: 's1', user: 'root', port: 22 },
  topologyHash: createHash('sha256').update(TOPOLOGY).digest('hex'),
  playbooks: WORKFLOW,
  gridopsVersion: GRIDOPS_VERSION,
  agentVersion: '0.1.0',
  appliedAt: '2026-12-01T00:00:00.000Z',
  changesApplied: 0,
  lastOutcome: 'unchanged',
  ...over,
});

describe('status: one definition of in sync', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-status-in-sync-'));
    writeFileSync(join(dir, 'g.yaml'), TOPOLOGY);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const statusOf = async (hosts: Record<string, unknown>) => {
    mkdirSync(join(dir, '.gridops'), { recursive: true });
    writeFileSync(join(dir, '.gridops', 'g.state.json'), JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts }));
    return gridStatus(join(dir, 'g.yaml'), { concurrency: 5, connect: async (node) => new RecordingTransport(node.name).on(ASK_AGENT, { code: 0, stdout: agentAnswer(VIEWS[node.name]!) }).on(/gridops-facts/, { code: 0, stdout: FACTS }) });
  };

  it('a node applied with this topology and workflow that owes handlers (a run killed mid-batch wrote them ahead) is not in sync: the next apply runs them', async () => {
    const status = await statusOf({ n1: applied(1), n2: applied(2, { pendingHandlers: ['restart-gridagent'] }), n3: applied(3) });
    expect(status.nodes.map((n) => [n.node, n.applied])).toEqual([['n1', 'in-sync'], ['n2', 'handlers-owed'], ['n3', 'in-sync']]);
    expect(status.nodes[1]!.pendingHandlers).toEqual(['restart-gridagent']);
    expect(status.inSync).toBe(2);
    const table = formatGridStatus(status);
    expect(table).toContain('2/3 in sync');
    expect(table).toContain('  n2: handlers owed (restart-gridagent) by an interrupted or failed run: run apply, which runs them');
    const failures = statusFailures(status, { strict: true, waited: false }, { file: 'g.yaml' });
    expect(failures.map((f) => f.message)).toEqual(['not in sync: n2 (handlers-owed)']);
    expect(failures[0]!.hint).toContain('`gridops apply g.yaml` applies it');
    expect(statusFailures(status, { strict: false, waited: false }, { file: 'g.yaml' })).toEqual([]);
  });

  it('a node a gridops of another version applied, with this topology and workflow, is not in sync: the next apply may deploy the agent again', async () => {
    const status = await statusOf({ n1: applied(1, { gridopsVersion: '0.0.1' }), n2: applied(2), n3: applied(3) });
    expect(status.nodes.map((n) => n.applied)).toEqual(['older-gridops', 'in-sync', 'in-sync']);
    expect(status.nodes[0]!.appliedWithGridops).toBe('0.0.1');
    expect(status.inSync).toBe(2);
    expect(formatGridStatus(status)).toContain(`  n1: last applied by gridops 0.0.1, this is ${GRIDOPS_VERSION}: run apply, which may deploy the agent again`);
    const failures = statusFailures(status, { strict: true, waited: false }, { file: 'g.yaml' });
    expect(failures.map((f) => f.message)).toEqual(['not in sync: n1 (older-gridops)']);
    expect(failures[0]!.hint).toBe('run `gridops apply g.yaml` with this gridops, which records it');
  });

  it('a node a newer gridops applied is not in sync, and status never advises an apply that would deploy this older agent over it', async () => {
    const newer = `${Number(GRIDOPS_VERSION.split('.')[0]) + 1}.0.0`;
    const status = await statusOf({ n1: applied(1, { gridopsVersion: newer }), n2: applied(2), n3: applied(3, { gridopsVersion: '0.0.1' }) });
    expect(status.nodes.map((n) => n.applied)).toEqual(['newer-gridops', 'in-sync', 'older-gridops']);
    expect(status.nodes[0]!.appliedWithGridops).toBe(newer);
    expect(status.inSync).toBe(1);
    const table = formatGridStatus(status);
    expect(table).toContain(`  n1: gridops ${newer} ran there last, newer than this ${GRIDOPS_VERSION}: run status and apply with gridops ${newer} or later`);
    expect(table).not.toMatch(/n1: .*run apply/);
    const failures = statusFailures(status, { strict: true, waited: false }, { file: 'g.yaml', stateDir: 'st' });
    // Each its own failure and hint: what fixes an older gridops' record would downgrade a newer one's.
    expect(failures.map((f) => f.message)).toEqual(['not in sync: n3 (older-gridops)', 'not in sync: n1 (newer-gridops)']);
    expect(failures[0]!.hint).toBe('run `gridops apply g.yaml --state-dir st` with this gridops, which records it');
    expect(failures[1]!.hint).toBe(`gridops ${newer} ran there last, newer than this ${GRIDOPS_VERSION}: run status and apply with gridops ${newer} or later, not with this one (its apply would deploy its older agent)`);
  });

  it('a node a newer gridops applied from another topology gets the newer-gridops hint, never plan and apply, which this gridops refuses there', async () => {
    const newer = `${Number(GRIDOPS_VERSION.split('.')[0]) + 1}.0.0`;
    const status = await statusOf({ n1: applied(1, { gridopsVersion: newer, topologyHash: 'OLD' }), n2: applied(2), n3: applied(3) });
    expect(status.nodes.map((n) => n.applied)).toEqual(['newer-gridops', 'in-sync', 'in-sync']);
    expect(status.nodes[0]!.appliedWithGridops).toBe(newer);
    const failures = statusFailures(status, { strict: true, waited: false }, { file: 'g.yaml' });
    expect(failures.map((f) => f.message)).toEqual(['not in sync: n1 (newer-gridops)']);
    expect(failures[0]!.hint).toBe(`gridops ${newer} ran there last, newer than this ${GRIDOPS_VERSION}: run status and apply with gridops ${newer} or later, not with this one (its apply would deploy its older agent)`);
  });

  it("a newer gridops' failed first run reads newer-gridops, as the refusal counts it: never's advice, an apply, this gridops refuses there", async () => {
    const newer = `${Number(GRIDOPS_VERSION.split('.')[0]) + 1}.0.0`;
    const hosts = { n1: applied(1, { gridopsVersion: newer, lastOutcome: 'failed', appliedAt: '', topologyHash: '', playbooks: [], agentVersion: null, lastError: 'command boom: exit 1' }), n2: applied(2), n3: applied(3) };
    const status = await statusOf(hosts);
    expect(status.nodes.map((n) => n.applied)).toEqual(['newer-gridops', 'in-sync', 'in-sync']);
    expect(status.nodes[0]!.appliedWithGridops).toBe(newer);
    // The hosts status calls newer-gridops are the ones plan, apply and reset refuse over.
    const refusedOver = newerGridopsRecords({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts } as unknown as GridState).flatMap((r) => r.hosts);
    expect(status.nodes.filter((n) => n.applied === 'newer-gridops').map((n) => n.node)).toEqual(refusedOver);
    expect(formatGridStatus(status)).toContain(`  n1: gridops ${newer} ran there last, newer than this ${GRIDOPS_VERSION}: run status and apply with gridops ${newer} or later`);
    const failures = statusFailures(status, { strict: true, waited: false }, { file: 'g.yaml' });
    expect(failures.map((f) => f.message)).toEqual(['not in sync: n1 (newer-gridops)']);
    expect(failures[0]!.hint).not.toContain('`gridops apply g.yaml` applies it');
  });

  it('handler names and a gridops version read from the state are printed with control and bidi characters escaped', async () => {
    const status = await statusOf({ n1: applied(1, { pendingHandlers: ['restart\u001b[31m-agent\u202e'] }), n2: applied(2, { gridopsVersion: '9.9\u001b[2J\u202e' }), n3: applied(3) });
    expect(status.nodes.map((n) => n.applied)).toEqual(['handlers-owed', 'older-gridops', 'in-sync']);
    const table = formatGridStatus(status);
    expect(table).toContain('  n1: handlers owed (restart\\u001b[31m-agent\\u202e) by an interrupted or failed run');
    expect(table).toContain('  n2: last applied by gridops 9.9\\u001b[2J\\u202e, this is');
    expect(table).not.toMatch(/[\u001b\u202e]/);
  });

  it('a node a stopped run skipped is not in sync: that run had changes for it', async () => {
    const status = await statusOf({ n1: applied(1, { lastOutcome: 'skipped' }), n2: applied(2), n3: applied(3) });
    expect(status.nodes.map((n) => n.applied)).toEqual(['skipped', 'in-sync', 'in-sync']);
  });
});
