import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import { runApply } from '../../src/phases/apply.js';
import { movedNodes } from '../../src/phases/moved-node.js';
import { runPlan } from '../../src/phases/plan.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import type { GridState, HostState } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { gridOf } from '../resources/fixtures.js';
import { connectNoting, localRunOptions } from '../support/local-run.js';
import { appliedRecord } from '../support/host-record.js';

jest.setTimeout(60_000);

let dir: string;
let topology: string;
let playbook: string;
let connected: string[];

const connect = connectNoting((name) => connected.push(name));

function options(extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return localRunOptions({ topologyFile: topology, playbooks: [playbook] }, { connect, ...extra });
}

const topologyWith = (s1: string[], s2: string[]) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes: [${s1.map((n) => `{ name: ${n}, address: 10.0.0.${n.slice(1)} }`).join(', ')}]
      - name: s2
        nodes: [${s2.map((n) => `{ name: ${n}, address: 10.0.0.${n.slice(1)} }`).join(', ')}]
`;

const record = (region: string, subgrid: string, extra: Partial<HostState> = {}): HostState => appliedRecord({ address: '10.0.0.9', region, subgrid }, extra);

/**
 * A node moved to another sub-grid (or region) under the same name: its agent would keep the old
 * sub-grid's saved state and write-once bootstrap.json, and stay a voter there that never answers
 * again (a sub-grid of two then never elects). Refused before anything is changed (review site 4).
 */
describe('a node moved to another sub-grid under the same name', () => {
  it('is the node the state records, with an agent, in another region or sub-grid', () => {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }, { name: s2, nodes: [{ name: n2, address: 10.0.0.2 }, { name: n3, address: 10.0.0.3 }, { name: n4, address: 10.0.0.4 }] }] }]\n');
    const state: GridState = {
      format: 'gridops-state/v1',
      grid: 'g',
      serial: 1,
      hosts: {
        n1: record('r1', 's1'),
        n2: record('r1', 's1'),
        // Never ran an agent: nothing of the overlay to move.
        n3: record('r1', 's1', { agentVersion: null, playbooks: ['node-base'] }),
        // Recorded by an older gridops, without where it was: not known to have moved.
        n4: { ...record('r1', 's1'), node: undefined },
      },
    };
    expect(movedNodes(allNodes(grid), state)).toEqual([{ name: 'n2', from: 'r1/s1', to: 'r1/s2' }]);
    // Another region, same sub-grid name: moved too.
    const other = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }, { name: r2, subgrids: [{ name: s9, nodes: [{ name: n2, address: 10.0.0.2 }] }] }]\n');
    expect(movedNodes(allNodes(other), { ...state, hosts: { n2: record('r1', 's9') } })).toEqual([{ name: 'n2', from: 'r1/s9', to: 'r2/s9' }]);
    // Renamed too (n7 was n2, by the renames find-removed-nodes found): its old record says where it was.
    const renamedGrid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }, { name: s2, nodes: [{ name: n7, address: 10.0.0.2 }] }] }]\n');
    expect(movedNodes(allNodes(renamedGrid), { ...state, hosts: { n2: record('r1', 's1') } }, new Map([['n2', 'n7']]))).toEqual([{ name: 'n7', from: 'r1/s1', to: 'r1/s2', renamedFrom: 'n2' }]);
  });

  describe('a run', () => {
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gridops-moved-'));
      connected = [];
      topology = join(dir, 'grid.yaml');
      mkdirSync(join(dir, 'pb'));
      mkdirSync(join(dir, 'out'));
      playbook = join(dir, 'pb', 'local.yaml');
      writeFileSync(playbook, `name: local\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.txt')}", content: "{{node.name}} of {{subgrid.name}}\\n" }\n`);
      writeFileSync(topology, topologyWith(['n1', 'n2'], ['n3']));
      await runApply(options());
      // n2 runs an agent (this test machine has none to read).
      const stateFile = join(dir, '.gridops', 'g.state.json');
      const state = JSON.parse(readFileSync(stateFile, 'utf8'));
      state.hosts.n2.agentVersion = '0.1.0';
      writeFileSync(stateFile, JSON.stringify(state));
      connected = [];
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('apply and plan refuse it before connecting to any host, saying what to do; nothing is changed', async () => {
      writeFileSync(topology, topologyWith(['n1'], ['n2', 'n3']));
      const stateBefore = readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8');
      for (const run of [() => runApply(options()), () => runPlan(options())]) {
        const err = await run().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PlanningError);
        expect((err as PlanningError).message).toBe('n2 moved from r1/s1 to r1/s2 under the same name: gridops does not move a node between sub-grids; nothing was changed');
        expect((err as PlanningError).hint).toContain('remove n2 from the topology and apply (it is decommissioned: its agent leaves r1/s1 for good), then add it to r1/s2 and apply again');
      }
      expect(connected).toEqual([]);
      expect(readFileSync(join(dir, 'out', 'n2.txt'), 'utf8')).toBe('n2 of s1\n');
      expect(readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8')).toBe(stateBefore);
      // A run that leaves it out (--limit) goes on.
      await expect(runApply(options({ limit: ['n1', 'n3'] }))).resolves.toBeDefined();
    });

    /**
     * Renamed and moved at once (same address): the check ran before the renames were known and
     * looked only under the new name, so n5 took n2's record over and was applied in place,
     * keeping s1's write-once bootstrap.json (review phases2 2).
     */
    it('refuses a node renamed and moved at once, found by its old record; nothing is changed', async () => {
      writeFileSync(topology, topologyWith(['n1'], ['n3']).replace('{ name: n3, address: 10.0.0.3 }', '{ name: n3, address: 10.0.0.3 }, { name: n5, address: 10.0.0.2 }'));
      const stateBefore = readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8');
      // The grid's own workflow (renames are found there) and a --playbook run alike.
      for (const run of [() => runApply(options({ playbooks: undefined })), () => runPlan(options({ playbooks: undefined })), () => runApply(options())]) {
        const err = await run().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PlanningError);
        expect((err as PlanningError).message).toBe('n5 (renamed from n2) moved from r1/s1 to r1/s2: gridops does not move a node between sub-grids; nothing was changed');
        expect((err as PlanningError).hint).toContain('remove n5 from the topology and apply (it is decommissioned: its agent leaves r1/s1 for good), then add it to r1/s2 and apply again');
      }
      expect(connected).toEqual([]);
      expect(readFileSync(join(dir, 'out', 'n2.txt'), 'utf8')).toBe('n2 of s1\n');
      expect(readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8')).toBe(stateBefore);
    });
  });
});
