import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import { adHocAgentRenames } from '../../src/phases/ad-hoc-agent-rename.js';
import { runApply } from '../../src/phases/apply.js';
import { runPlan } from '../../src/phases/plan.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import type { LoadedPlaybook } from '../../src/playbooks/load.js';
import type { GridState, HostState } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { gridOf } from '../resources/fixtures.js';
import { connectNoting, localRunOptions } from '../support/local-run.js';
import { appliedRecord } from '../support/host-record.js';

jest.setTimeout(60_000);

const record = (address: string, extra: Partial<HostState> = {}): HostState => appliedRecord({ address }, extra);

const playbook = (ref: string, resources: LoadedPlaybook['resources'] = []) => ({ name: ref, ref, file: ref, resources }) as LoadedPlaybook;

/**
 * A --playbook run looks for no renames (find nodes to decommission runs only for the grid's
 * workflow): one that deploys the agent on a node renamed at the same address restarted its agent
 * under the new name with no `gridagent leave` under the old one, which stayed a voter for good,
 * and the next plain apply skipped the leave, since the config already named the new name (review day2 1).
 */
describe('a --playbook run that deploys the agent on a renamed node', () => {
  it('finds the same-address renames whose old name ran the agent and whose new name the run deploys the agent on', () => {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n7, address: 10.0.0.2 }, { name: n8, address: 10.0.0.3 }, { name: n9, address: 10.0.0.4 }] }] }]\n');
    const state: GridState = {
      format: 'gridops-state/v1',
      grid: 'g',
      serial: 1,
      // n2 ran the agent and is n7 now; n3 never ran it (nothing to leave); n4 ran it and is n9 now.
      hosts: { n2: record('10.0.0.2'), n3: record('10.0.0.3', { agentVersion: null, playbooks: ['node-base'] }), n4: record('10.0.0.4') },
    };
    const agent = playbook('agent');
    const writesConfig = playbook('/pb/my-agent.yaml', [{ file: { path: '/etc/gridagent/config.yaml', content: 'node: x\n' } }] as LoadedPlaybook['resources']);
    const other = playbook('node-base');
    const byNode = new Map([
      ['n7', [other, agent]],
      ['n8', [other, agent]],
      ['n9', [writesConfig]],
    ]);
    expect(adHocAgentRenames(allNodes(grid), byNode, state)).toEqual([
      { from: 'n2', to: 'n7' },
      { from: 'n4', to: 'n9' },
    ]);
    // A run that deploys no agent there, or leaves the node out (--limit), renames nothing of the overlay.
    expect(adHocAgentRenames(allNodes(grid), new Map([['n7', [other]], ['n8', [agent]]]), state)).toEqual([]);
  });

  describe('a run', () => {
    let dir: string;
    let topology: string;
    let local: string;
    let deploy: string;
    let connected: string[];

    const topologyWith = (nodes: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes: [${nodes}]
`;

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gridops-ad-hoc-rename-'));
      connected = [];
      topology = join(dir, 'grid.yaml');
      mkdirSync(join(dir, 'pb'));
      mkdirSync(join(dir, 'out'));
      local = join(dir, 'pb', 'local.yaml');
      writeFileSync(local, `name: local\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.txt')}", content: "{{node.name}}\\n" }\n`);
      // Writes the agent's config, as the agent playbook does: never reached in these tests (the connection below throws).
      deploy = join(dir, 'pb', 'deploy.yaml');
      writeFileSync(deploy, 'name: deploy\nresources:\n  - file: { path: /etc/gridagent/config.yaml, content: "node: \\"{{node.name}}\\"\\n" }\n');
      writeFileSync(topology, topologyWith('{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }'));
      await runApply(localRunOptions({ topologyFile: topology, playbooks: [local] }, { connect: connectNoting(() => undefined) }));
      // n2 runs an agent (this test machine has none to read).
      const stateFile = join(dir, '.gridops', 'g.state.json');
      const state = JSON.parse(readFileSync(stateFile, 'utf8'));
      state.hosts.n2.agentVersion = '0.1.0';
      writeFileSync(stateFile, JSON.stringify(state));
      // n2 renamed n7 at its address.
      writeFileSync(topology, topologyWith('{ name: n1, address: 10.0.0.1 }, { name: n7, address: 10.0.0.2 }'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    // A connection that is never made: the run must refuse before it; should it not, nothing of this machine is written.
    const options = (extra: Partial<ApplyOptions>): ApplyOptions =>
      localRunOptions({ topologyFile: topology }, {
        connect: async (node) => {
          connected.push(node.name);
          throw new Error(`${node.name} was reached`);
        },
        ...extra,
      });

    it('apply and plan refuse it before connecting to any host, saying to apply the grid\'s workflow; nothing is changed', async () => {
      const stateBefore = readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8');
      for (const run of [() => runApply(options({ playbooks: [local, deploy] })), () => runPlan(options({ playbooks: [deploy] }))]) {
        const err = await run().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PlanningError);
        expect((err as PlanningError).message).toBe('n2 is renamed n7, and a --playbook run that deploys the agent would start it as n7 without n2 leaving the grid (n2 would stay a voter for good); nothing was changed');
        expect((err as PlanningError).hint).toBe(`run a plain \`gridops apply ${topology}\` (the grid's workflow) to rename it: its agent leaves the grid as n2 first, then starts as n7; or leave n7 out of this run with --limit`);
      }
      expect(connected).toEqual([]);
      expect(readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8')).toBe(stateBefore);
    });

    it("the apply it suggests carries the run's --state-dir and --ask-become-pass: pasted, it reads the same state and can answer sudo", async () => {
      const stateDir = join(dir, '.gridops');
      const err = await runPlan(options({ playbooks: [deploy], stateDir, becomePrompt: async () => 'never asked' })).catch((e: unknown) => e);
      expect((err as PlanningError).hint).toContain(`run a plain \`gridops apply ${topology} --state-dir ${stateDir} --ask-become-pass\` (the grid's workflow)`);
    });

    it('goes on where the run deploys no agent on the renamed node', async () => {
      await expect(runApply(localRunOptions({ topologyFile: topology, playbooks: [local] }, { connect: connectNoting((n) => connected.push(n)) }))).resolves.toBeDefined();
      expect(connected.sort()).toEqual(['n1', 'n7']);
      // And where --limit leaves the renamed node out.
      await expect(runPlan(options({ playbooks: [deploy], limit: ['n1'] })).catch((e: unknown) => e)).resolves.not.toBeInstanceOf(PlanningError);
    });
  });
});
