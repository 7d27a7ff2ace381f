import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostOutcome } from '../../src/engine/applier.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { recordState } from '../../src/phases/record-state.js';
import { RunContext } from '../../src/phases/run-context.js';
import { statePaths } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { gridOf } from '../resources/fixtures.js';

/** A host whose sandbox change was refused (no --replace-sandbox) is not at this topology: status must not call it in sync. */
describe('record the state: a refused change', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-record-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps the host's last topology hash, and records the others' as this one", async () => {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }] }] }]\n');
    const ctx = new RunContext({ topologyFile: join(dir, 'g.yaml'), concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
    ctx.setGrid(grid, statePaths(join(dir, 'g.yaml'), grid.name));
    ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
    const facts = { agentVersion: null } as unknown as PlannedHost['session']['facts'];
    ctx.planned = allNodes(grid).map((node) => ({ session: { node, facts }, plan: { playbooks: ['node-base', 'hypervisor'] }, kernelEntries: {} }) as unknown as PlannedHost);
    const outcomes: HostOutcome[] = [
      { host: 'n1', status: 'applied', applied: 2, refused: [{ id: 'sandbox-domain gridops-sandbox', reason: 'the VM must restart' }] },
      { host: 'n2', status: 'applied', applied: 2 },
    ];
    ctx.outcomes = outcomes;
    await recordState.run(ctx);
    const hosts = JSON.parse(readFileSync(ctx.paths.state, 'utf8')).hosts;
    expect(hosts.n1.topologyHash).toBe('');
    expect(hosts.n2.topologyHash).toBe(grid.sourceHash);
    expect(hosts.n1.lastOutcome).toBe('applied');
  });
});
