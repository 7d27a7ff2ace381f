/**
 * `status` after `apply --limit n1` on a new sub-grid of n1, n2, n3: n1's bootstrap electorate is
 * all three and it needs two votes, so its first election waits for n2 and n3, whose agents no run
 * has deployed. Status judges it as apply's verify does (overlay/first-election-waits.ts): it says
 * whom the election waits for, `--wait` does not wait for it, and `--strict` fails it (the grid is
 * not as the topology wants) without waiting out `--wait` either.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatGridStatus } from '../../src/formatters/grid-status.js';
import { firstElectionsWaiting } from '../../src/status/first-elections-waiting.js';
import { gridStatus, overlayConverged } from '../../src/status/grid-status.js';
import { statusFailures } from '../../src/status/status-failures.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { gridOf } from '../resources/fixtures.js';
import { appliedRecord } from '../support/host-record.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';

const FIXTURE = readFileSync(new URL('../facts/fixtures/systemd-container-v1.txt', import.meta.url), 'utf8');
const facts = (agentVersion: string | null) => FIXTURE.replace(/@@gridops-facts:agent@@\n[^@]*/, `@@gridops-facts:agent@@\n${agentVersion ?? ''}\n\n`);

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

/** The state `apply --limit n1` leaves: n1 applied with the agent and born with an electorate of all three. */
const stateAfterLimit = (withAgent: string[]) => ({
  format: 'gridops-state/v1',
  grid: 'g',
  serial: 1,
  hosts: Object.fromEntries(
    withAgent.map((name, i) => [
      name,
      {
        node: { address: `10.0.0.${i + 1}`, region: 'r1', subgrid: 's1', user: 'root', port: 22 },
        electorate: { subgrid: ['n1', 'n2', 'n3'], region: ['s1'] },
        topologyHash: 'older',
        playbooks: ['node-base', 'agent'],
        gridopsVersion: '0.1.0',
        agentVersion: '0.1.0',
        appliedAt: '2026-12-01T00:00:00.000Z',
        changesApplied: 3,
        lastOutcome: 'applied',
      },
    ]),
  ),
});

// The version the state records (what the last apply installed): an agent on another is not converged.
const searching = JSON.stringify({ role: 'searching', term: 0, superPeer: null, regionPeer: null, members: [], version: '0.1.0' });

describe('status: a first election that waits for nodes no run gave an agent', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-status-unborn-'));
    writeFileSync(join(dir, 'g.yaml'), TOPOLOGY);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (withAgent: string[], waitMs: number, limit?: string[]) => {
    mkdirSync(join(dir, '.gridops'), { recursive: true });
    writeFileSync(join(dir, '.gridops', 'g.state.json'), JSON.stringify(stateAfterLimit(withAgent)));
    return gridStatus(join(dir, 'g.yaml'), {
      concurrency: 5,
      waitUntil: Date.now() + waitMs,
      ...(limit ? { limit } : {}),
      connect: async (node) => {
        const runs = withAgent.includes(node.name);
        return new RecordingTransport(node.name).on(ASK_AGENT, { code: 0, stdout: agentAnswer(searching) }).on(/gridops-facts/, { code: 0, stdout: facts(runs ? '0.1.0' : null) });
      },
    });
  };

  it('after apply --limit n1: says whom the election waits for, --wait does not wait for it, --strict fails it', async () => {
    const t0 = Date.now();
    const status = await run(['n1'], 5_000);
    // Nothing more time could change: asked once, not for the whole --wait.
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(overlayConverged(status)).toBe(true);
    expect(status.firstElectionWaits).toEqual({ 'r1/s1': 'its first election waits for n2, n3 (no agent runs there yet)', r1: 'its first election waits for sub-grid s1 (waiting too)' });
    const table = formatGridStatus(status);
    expect(table).toContain('  r1/s1: its first election waits for n2, n3 (no agent runs there yet)\n');
    expect(table).toContain('  r1: its first election waits for sub-grid s1 (waiting too)');
    // The wait is said once, not again as a sub-grid without a super peer.
    expect(table).not.toContain('no super peer yet in');
    expect(table).not.toContain('no region peer yet in');

    const messages = (flags: { strict: boolean; waited: boolean }) => statusFailures(status, flags, { file: 'g.yaml' }).map((f) => f.message);
    expect(messages({ strict: false, waited: true })).toEqual([]);
    const strict = statusFailures(status, { strict: true, waited: true }, { file: 'g.yaml' });
    const unborn = strict.find((f) => f.message.startsWith('no first election yet'));
    expect(unborn?.message).toBe('no first election yet: r1/s1: its first election waits for n2, n3 (no agent runs there yet); r1: its first election waits for sub-grid s1 (waiting too)');
    expect(unborn?.hint).toBe('`gridops apply g.yaml` deploys the agents it waits for');
  });

  it('two of three with an agent can elect: --wait waits for that election, and says no first-election wait', async () => {
    const status = await run(['n1', 'n2'], 1_200);
    expect(overlayConverged(status)).toBe(false);
    expect(status.overlay?.waitingFor).toContain('r1/s1: no super peer yet');
    expect(status.firstElectionWaits).toBeUndefined();
  });

  it('status --limit on another region: the waits of groups it did not look at are not its to say', async () => {
    writeFileSync(join(dir, 'g.yaml'), `${TOPOLOGY}  - name: r2\n    subgrids:\n      - name: t1\n        nodes:\n          - { name: m1, address: 10.0.1.1 }\n`);
    const status = await run(['n1'], 0, ['m1']);
    expect(status.nodes.map((n) => n.node)).toEqual(['m1']);
    expect(status.firstElectionWaits).toBeUndefined();
  });
});

describe("status' first-election waits after `state rm` of every node of a sub-grid that elected", () => {
  it('the sub-grid no longer votes in its region: the region waits for it, as the bootstrap files call it born again', () => {
    // r1 = a (a1) + b (b1, b2, b3). a elected alone; `apply --limit b1` left b (and so r1) waiting;
    // then a1's host went for good and `state rm a1` forgot it, leaving the record that a elected.
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: a, nodes: [{ name: a1, address: 10.0.0.1 }] }, { name: b, nodes: [{ name: b1, address: 10.0.1.1 }, { name: b2, address: 10.0.1.2 }, { name: b3, address: 10.0.1.3 }] }] }]\n');
    const b1 = appliedRecord({ address: '10.0.1.1', subgrid: 'b' }, { electorate: { subgrid: ['b1', 'b2', 'b3'], region: ['a', 'b'] } });
    const state = { format: 'gridops-state/v1' as const, grid: grid.name, serial: 3, hosts: { b1 }, elected: { subgrids: ['r1/a'], regions: [] } };
    const waits = firstElectionsWaiting(grid, state, new Set(['b1']));
    expect([...waits.subgrids]).toEqual([['r1/b', ['b2', 'b3']]]);
    expect([...waits.regions]).toEqual([['r1', ['a', 'b']]]);
  });
});
