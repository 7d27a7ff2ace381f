import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostOutcome } from '../../src/engine/applier.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { recordOwedAhead } from '../../src/phases/owed-ahead.js';
import { RunContext } from '../../src/phases/run-context.js';
import { CommandResource } from '../../src/resources/command.js';
import { statePaths, type GridState, type HostState } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, gridOf } from '../resources/fixtures.js';

/**
 * The write ahead of a later batch and the hosts of the batches before it: one that has no record
 * yet gets the record the run's end would write for its outcome, whether or not it owes a handler,
 * so a run killed in the later batch does not lose a new node it applied (review s44, 1).
 */
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-owed-done-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const g = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }, { name: n3, address: 10.0.0.3 }] }] }]\n');
const oldRecord: HostState = { node: { address: '10.0.0.1', region: 'r1', subgrid: 's1', user: 'root', port: 22 }, topologyHash: 'old', playbooks: ['upgrade'], gridopsVersion: '0', agentVersion: '0.1.0', appliedAt: 'then', changesApplied: 1, lastOutcome: 'applied' };

/** Every node with one change that notifies `restart`. */
function plannedHosts(): PlannedHost[] {
  return allNodes(g).map((node) => {
    const upgrade = new CommandResource({ name: 'upgrade', command: 'true', notify: ['restart'] });
    return {
      session: { node, transport: new RecordingTransport(node.name), facts: { ...facts(), agentVersion: null } },
      resources: new Map([[upgrade.id, upgrade]]),
      handlers: [{ name: 'restart', command: 'true' }],
      managedUnits: new Set<string>(),
      kernelEntries: {},
      plan: { host: node.name, address: node.address, playbooks: ['upgrade'], changes: [upgrade.diff('')!], notes: [], handlers: ['restart'] },
    };
  });
}

async function writeAhead(hosts: Record<string, HostState>, done: HostOutcome[], renamed: [string, string][] = []): Promise<GridState> {
  const paths = statePaths(join(dir, 't.yaml'), g.name);
  mkdirSync(dirname(paths.state), { recursive: true });
  writeFileSync(paths.state, JSON.stringify({ format: 'gridops-state/v1', grid: g.name, serial: 1, hosts }));
  const ctx = new RunContext({ topologyFile: join(dir, 't.yaml'), concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
  ctx.setGrid(g, paths);
  ctx.workflow = { byNode: new Map(), refs: [], adHoc: true };
  for (const [from, to] of renamed) ctx.renamed.set(from, to);
  ctx.planned = plannedHosts();
  await recordOwedAhead(ctx, [ctx.planned[2]!], done);
  return JSON.parse(readFileSync(paths.state, 'utf8')) as GridState;
}

describe('the write ahead of a later batch, for the hosts of earlier ones with no record', () => {
  it('records a new host applied (its handler run), a new host failed with nothing owed, and none for a host skipped', async () => {
    const state = await writeAhead({}, [
      { host: 'n1', status: 'applied', applied: 1 },
      { host: 'n2', status: 'failed', applied: 0, started: [], failure: { step: 'command upgrade', error: 'exit 1' } },
    ]);
    expect(Object.keys(state.hosts).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(state.hosts.n1).toMatchObject({ lastOutcome: 'applied', changesApplied: 1, playbooks: ['upgrade'], node: { address: '10.0.0.1' } });
    expect(state.hosts.n1!.pendingHandlers).toBeUndefined();
    expect(state.hosts.n2).toMatchObject({ lastOutcome: 'failed', appliedAt: '', lastError: 'command upgrade: exit 1' });
    expect(state.hosts.n3).toMatchObject({ lastOutcome: 'failed', pendingHandlers: ['restart'] });

    const skipped = await writeAhead({}, [{ host: 'n1', status: 'skipped', applied: 0 }]);
    expect(Object.keys(skipped.hosts)).toEqual(['n3']);
  });

  it("a renamed node applied takes its old name's record, and the old name goes, as the run's record would", async () => {
    const state = await writeAhead({ old1: oldRecord }, [{ host: 'n1', status: 'applied', applied: 1 }], [['old1', 'n1']]);
    expect(state.hosts.old1).toBeUndefined();
    expect(state.hosts.n1).toMatchObject({ lastOutcome: 'applied', agentVersion: null });
    // One whose batch failed keeps the old name, so the next run sees the rename again.
    const failed = await writeAhead({ old1: oldRecord }, [{ host: 'n1', status: 'failed', applied: 0, started: [], failure: { step: 'x', error: 'exit 1' } }], [['old1', 'n1']]);
    expect(failed.hosts.old1).toEqual(oldRecord);
    expect(failed.hosts.n1).toMatchObject({ lastOutcome: 'failed', topologyHash: 'old' });
  });
});
