import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostOutcome } from '../../src/engine/applier.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import type { OverlayRecord } from '../../src/overlay/overlay-record.js';
import { firstElectionWaits } from '../../src/overlay/first-election-waits.js';
import { recordState } from '../../src/phases/record-state.js';
import { RunContext } from '../../src/phases/run-context.js';
import { forgetNodes } from '../../src/state/forget-nodes.js';
import { groupBirths } from '../../src/state/group-births.js';
import { readState, statePaths } from '../../src/state/state.js';
import { bootstrapElectorate } from '../../src/templates/bootstrap-electorate.js';
import { allNodes } from '../../src/topology/model.js';
import { gridOf } from '../resources/fixtures.js';
import { appliedRecord } from '../support/host-record.js';

const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }, { name: n3, address: 10.0.0.3 }] }, { name: s2, nodes: [{ name: n4, address: 10.0.0.4 }] }] }]\n');
const nodeOf = (name: string) => allNodes(grid).find((n) => n.name === name)!;
const overlay = (superPeers: OverlayRecord['superPeers'], regionPeers: OverlayRecord['regionPeers']): OverlayRecord => ({ verifiedAt: '', converged: false, superPeers, regionPeers, waitingFor: [], nodes: 1, ms: 1 });

/** The proof that a sub-grid elected outlasts a verify that did not ask it (--limit) or failed for it, until every node of it is reset. */
describe('elected sub-grids and regions, kept in the state', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-elected-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** One run of `hosts`: applied with the agent (or, `reset`, decommissioned), recording `verified` as the overlay. */
  async function run(hosts: string[], verified: OverlayRecord | undefined, reset = false) {
    const ctx = new RunContext({ topologyFile: join(dir, 'g.yaml'), concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
    ctx.setGrid(grid, statePaths(join(dir, 'g.yaml'), grid.name));
    ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
    const facts = { agentVersion: null } as unknown as PlannedHost['session']['facts'];
    ctx.planned = allNodes(grid).filter((node) => hosts.includes(node.name)).map((node) => ({ session: { node, facts }, plan: { playbooks: ['node-base', 'agent'], changes: [] }, kernelEntries: {}, handlers: [] }) as unknown as PlannedHost);
    ctx.outcomes = hosts.map((host): HostOutcome => ({ host, status: 'applied', applied: 1 }));
    if (reset) ctx.removing = new Set(hosts);
    if (verified) ctx.overlay = verified;
    await recordState.run(ctx);
    return readState(ctx.paths.state, grid.name);
  }

  it('keeps them through a --limit verify and a failed one; a node reset and applied again signs in', async () => {
    await run(['n1', 'n2', 'n3', 'n4'], overlay({ 'r1/s1': 'n1', 'r1/s2': 'n4' }, { r1: 'n1' }));
    // --limit n4: its verify asks s2 only; then a verify that found no super peer for s1.
    await run(['n4'], overlay({ 'r1/s2': 'n4' }, { r1: null }));
    await run(['n2'], overlay({ 'r1/s1': null }, { r1: null }));
    await run(['n3'], undefined, true);
    const births = groupBirths(await readState(statePaths(join(dir, 'g.yaml'), grid.name).state, grid.name));
    expect([...births.electedSubgrids].sort()).toEqual(['r1/s1', 'r1/s2']);
    expect([...births.electedRegions]).toEqual(['r1']);
    expect(bootstrapElectorate(grid, nodeOf('n3'), births)).toEqual({ peerRegions: [] });
  });

  it('forgets a sub-grid once every node of it is reset: its next first apply is a birth again', async () => {
    await run(['n1', 'n2', 'n3', 'n4'], overlay({ 'r1/s1': 'n1', 'r1/s2': 'n4' }, { r1: 'n1' }));
    await run(['n1', 'n2', 'n3'], undefined, true);
    // One node of it applied again, before its sub-grid elects: the others must still get the birth electorate.
    await run(['n1'], overlay({ 'r1/s1': null, 'r1/s2': 'n4' }, { r1: 'n4' }));
    const births = groupBirths(await readState(statePaths(join(dir, 'g.yaml'), grid.name).state, grid.name));
    expect([...births.electedSubgrids]).toEqual(['r1/s2']);
    expect(births.electedRegions.has('r1')).toBe(true);
  });

  it('forgets a sub-grid once every node of it is forgotten (`state rm`): the bootstrap files and the first-election waits both see a birth', async () => {
    await run(['n1', 'n2', 'n3', 'n4'], overlay({ 'r1/s1': 'n1', 'r1/s2': 'n4' }, { r1: 'n1' }));
    const paths = statePaths(join(dir, 'g.yaml'), grid.name);
    await forgetNodes(grid, paths, ['n1', 'n2', 'n3'], 'test');
    const births = groupBirths(await readState(paths.state, grid.name));
    // `apply --limit n1` next: n1 is born again with an electorate of all three, so its first
    // election needs n2 or n3 too, and the waits (verify's, plan's) must say so, not call it elected.
    const bootstrap = bootstrapElectorate(grid, nodeOf('n1'), births);
    expect(bootstrap.subgrid).toEqual(['n1', 'n2', 'n3']);
    const waits = firstElectionWaits(grid, { subgrids: new Map([['r1/s1', bootstrap.subgrid!]]), regions: new Map() }, new Set(['n1', ...births.withAgent]), { subgrids: births.electedSubgrids, regions: births.electedRegions }, births.subgridElectorates);
    expect([...waits.subgrids]).toEqual([['r1/s1', ['n2', 'n3']]]);
    // s2 still runs its agent: it, and the region it voted in, stay elected.
    expect([...births.electedSubgrids]).toEqual(['r1/s2']);
    expect([...births.electedRegions]).toEqual(['r1']);
  });

  it('reads a state written before it was kept from its overlay, while the group runs agents', () => {
    const legacy = { format: 'gridops-state/v1' as const, grid: grid.name, serial: 1, hosts: { n1: appliedRecord() }, overlay: overlay({ 'r1/s1': 'n1', 'r1/s2': null }, { r1: 'n1' }) };
    expect([...groupBirths(legacy).electedSubgrids]).toEqual(['r1/s1']);
    // Every node of it forgotten since (`state rm`): born again, as a state that kept the record says.
    expect([...groupBirths({ ...legacy, hosts: {} }).electedSubgrids]).toEqual([]);
  });
});
