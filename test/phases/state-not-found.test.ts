import { jest } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import { runApply } from '../../src/phases/apply.js';
import { runPhases } from '../../src/phases/manager.js';
import { PLAN_PHASES, runPlan } from '../../src/phases/plan.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';

jest.setTimeout(60_000);

const local = new LocalTransport('local');
const AGENT_TAG = '@@gridops-facts:agent@@\n';

/** A node's connection run by this machine's shell, whose facts say gridagent 0.1.0 is installed (a grid applied from elsewhere). */
async function runningAgent(node: { name: string }): Promise<RecordingTransport> {
  return new RecordingTransport(node.name).on(/[\s\S]*/, async (command, { options }) => {
    const result = await local.exec(command, { stdin: options.stdin });
    return { ...result, stdout: result.stdout.replace(AGENT_TAG, `${AGENT_TAG}gridagent 0.1.0\n`) };
  });
}

let dir: string;
let topology: string;
let playbook: string;
let said: string[];

function options(extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return { topologyFile: topology, playbooks: [playbook], concurrency: 5, acceptNewHostKeys: false, progress: (m) => void said.push(m), failFast: false, confirm: async () => true, emit: () => undefined, onPlan: () => undefined, connect: runningAgent, verify: false, ...extra };
}

function writeTopology(defaults = ''): void {
  writeFileSync(topology, `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\n${defaults}regions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n          - { name: n2, address: 10.0.0.2 }\n`);
}

const AGENTS_KEY = `${'0123456789abcdef'.repeat(4)}\n`;
const stateFile = () => join(dir, '.gridops', 'g.state.json');
const keyFile = () => join(dir, '.gridops', 'g.key');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-no-state-'));
  said = [];
  mkdirSync(join(dir, 'out'));
  topology = join(dir, 'grid.yaml');
  writeTopology();
  // The key the agents got where the grid was applied.
  for (const n of ['n1', 'n2']) writeFileSync(join(dir, 'out', `${n}.key`), AGENTS_KEY, { mode: 0o600 });
  playbook = join(dir, 'place-key.yaml');
  writeFileSync(playbook, `name: place-key\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.key')}", secret: grid-key, mode: "0600" }\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * No state, and the hosts run gridagent (review s44 3): a fresh clone on another machine (.gridops/
 * is gitignored), a renamed metadata.name or a wrong --state-dir. The run read as a brand-new grid:
 * a new key for every node, every agent restarted at once, dropped nodes never decommissioned.
 */
describe('a grid whose hosts run gridagent, with no state', () => {
  it('plan says so loudly, naming the state file it looked for and what to do, and the key it made is a rotation', async () => {
    await runPlan(options());
    expect(said).toContainEqual(
      `warning: there is no state ${stateFile()} for grid g, but n1 and n2 run gridagent: if this grid was applied from somewhere else (another checkout or machine, another metadata.name, another --state-dir), this run plans it as a new grid: the nodes the topology dropped are not decommissioned, and the grid key made just now would replace the agents', restarting them all at once. Copy the state directory (the state file and the grid key) from where the grid was applied, or pass --state-dir`,
    );
    expect(said).toContainEqual(expect.stringMatching(/^warning: created a NEW grid key .*g\.key \(mode 0600\), but 2 nodes of this grid already run gridagent/));
    // Said once the hosts were read, as what it is: not the first-run note.
    expect(said).not.toContainEqual(expect.stringMatching(/^created the grid key/));
    const ctx = new RunContext(options());
    await runPhases(PLAN_PHASES, ctx);
    // The key the first plan made is no longer created here: this plan's own facts still say the agents run.
    expect(ctx.createdGridKey).toBeUndefined();
    rmSync(keyFile());
    const again = new RunContext(options());
    await runPhases(PLAN_PHASES, again);
    expect(again.createdGridKey).toMatchObject({ file: keyFile() });
  });

  it('apply refuses to give them a key it made, before any change, and removes the key again; --limit is refused too', async () => {
    const refused = {
      all: 'n1 and n2 run gridagent, and this run would replace their grid key with KEY, made just now: every agent would restart at once on it',
      n1: "n1 runs gridagent, and this run would replace its grid key with KEY, made just now: its agent would restart on it, and the grid's other agents would drop its packets (badMac)",
    };
    const runs: Array<[Partial<ApplyOptions>, string]> = [[{}, refused.all], [{ limit: ['n1'] }, refused.n1]];
    for (const [extra, what] of runs) {
      const err = await runApply(options(extra)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlanningError);
      expect((err as PlanningError).message).toBe(`there is no state ${stateFile()} for grid g, but ${what.replace('KEY', keyFile())}; nothing was changed, and the new key file was removed again`);
      expect((err as PlanningError).hint).toContain('copy the state directory (the state file and the grid key) from where the grid was applied, or pass --state-dir');
      expect((err as PlanningError).hint).toContain('/etc/gridagent/grid.key');
      expect(existsSync(keyFile())).toBe(false);
      expect(readFileSync(join(dir, 'out', 'n1.key'), 'utf8')).toBe(AGENTS_KEY);
      expect(existsSync(stateFile())).toBe(false);
    }
    // A key that an earlier plan made is refused the same way: it replaces the agents' key all the same.
    await runPlan(options());
    said = [];
    const err = await runApply(options()).catch((e: unknown) => e);
    expect((err as PlanningError).message).toBe(`there is no state ${stateFile()} for grid g, but n1 and n2 run gridagent, and this run would replace their grid key with ${keyFile()}: every agent would restart at once on it; nothing was changed`);
    expect(readFileSync(join(dir, 'out', 'n2.key'), 'utf8')).toBe(AGENTS_KEY);
  });

  it("with the agents' own key in place (agent.keyFile), apply goes on after the warning, and records the state", async () => {
    writeFileSync(join(dir, 'grid.key'), AGENTS_KEY, { mode: 0o600 });
    writeTopology(`defaults: { agent: { keyFile: ${join(dir, 'grid.key')} } }\n`);
    await expect(runApply(options())).resolves.toBeDefined();
    expect(said).toContainEqual(expect.stringMatching(/^warning: there is no state .* run gridagent: if this grid was applied from somewhere else/));
    // The key is the agents' own: the warning says nothing of replacing it.
    expect(said.join('\n')).not.toMatch(/would replace the agents'/);
    expect(existsSync(stateFile())).toBe(true);
    said = [];
    await runPlan(options());
    expect(said).not.toContainEqual(expect.stringMatching(/there is no state/));
  });

  it('a retry after a first apply whose run failed once the agents started (the state has their records, no agent) is no grid from elsewhere: no warning, no refusal', async () => {
    mkdirSync(join(dir, '.gridops'), { recursive: true });
    const failed = { topologyHash: 'h', playbooks: ['place-key'], gridopsVersion: '0', agentVersion: null, appliedAt: '', changesApplied: 0, lastOutcome: 'failed' };
    writeFileSync(stateFile(), JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: failed, n2: failed } }));
    await runPlan(options());
    expect(said.join('\n')).not.toMatch(/run gridagent/);
  });
});
