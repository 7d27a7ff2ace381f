import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StalePlanError } from '../../src/errors/index.js';
import { runApply } from '../../src/phases/apply.js';
import { runPlan } from '../../src/phases/plan.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { connectNoting, localRunOptions } from '../support/local-run.js';

let dir: string;
let reached: string[];

const grid = (name: string, address: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: ${name} }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: ${address} }
`;

function options(topologyFile: string, extra: Partial<ApplyOptions> = {}): ApplyOptions {
  const playbook = join(dir, 'pb.yaml');
  return localRunOptions({ topologyFile, playbooks: [playbook] }, { stateDir: join(dir, 'state'), connect: connectNoting((n) => reached.push(n)), ...extra });
}

/** The error runApply rejects with. */
async function refusal(run: Promise<unknown>): Promise<StalePlanError> {
  const err = await run.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StalePlanError);
  return err as StalePlanError;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-saved-topology-'));
  reached = [];
  writeFileSync(join(dir, 'pb.yaml'), `name: local\nresources:\n  - file: { path: "${join(dir, '{{node.name}}.txt')}", content: "x\\n" }\n`);
  writeFileSync(join(dir, 'one.yaml'), grid('one', '10.0.0.1'));
  writeFileSync(join(dir, 'base.yaml'), grid('base', '10.0.0.1'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('apply --plan checks the plan is of this topology before connecting', () => {
  it('a plan of another grid names both grids, connects to no host, and its hint makes a plan of this one', async () => {
    const saved = await runPlan(options(join(dir, 'one.yaml')));
    reached = [];
    const base = join(dir, 'base.yaml');
    const err = await refusal(runApply(options(base, { savedPlan: saved, savedPlanFile: 'plan1.json' })));
    expect(err.message).toBe(`this plan is for grid one (from ${join(dir, 'one.yaml')}), not grid base; nothing was changed`);
    expect(err.hint).toContain(`gridops plan ${base} --playbook ${join(dir, 'pb.yaml')} --state-dir ${join(dir, 'state')} --out plan1.json`);
    expect(reached).toEqual([]);
  });

  it('a topology edited since the plan: said before any connection, with a hint naming the file and the plan', async () => {
    const one = join(dir, 'one.yaml');
    const saved = await runPlan(options(one));
    reached = [];
    writeFileSync(one, grid('one', '10.0.0.9'));
    const err = await refusal(runApply(options(one, { savedPlan: saved, savedPlanFile: 'plan1.json' })));
    expect(err.message).toBe(`the topology changed since the plan was saved: ${one}'s hash differs; nothing was changed`);
    expect(err.hint).toBe(`make a new plan with \`gridops plan ${one} --playbook ${join(dir, 'pb.yaml')} --state-dir ${join(dir, 'state')} --out plan1.json\`, review it, then apply it`);
    expect(reached).toEqual([]);
  });

  it('a plan made with --limit: the hint repeats it', async () => {
    const one = join(dir, 'one.yaml');
    const saved = await runPlan(options(one, { limit: ['n1'] }));
    writeFileSync(one, grid('one', '10.0.0.9'));
    const err = await refusal(runApply(options(one, { savedPlan: saved, limit: ['n1'] })));
    expect(err.hint).toContain(`--limit n1 --state-dir ${join(dir, 'state')} --out plan.json`);
  });

  it('a run that asks for the sudo password (--ask-become-pass): the hint asks too', async () => {
    const one = join(dir, 'one.yaml');
    const saved = await runPlan(options(one));
    writeFileSync(one, grid('one', '10.0.0.9'));
    const err = await refusal(runApply(options(one, { savedPlan: saved, becomePrompt: async () => 'never asked' })));
    expect(err.hint).toContain(`--state-dir ${join(dir, 'state')} --ask-become-pass --out plan.json`);
  });
});
