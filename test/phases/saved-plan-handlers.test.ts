import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StalePlanError } from '../../src/errors/index.js';
import { runApply } from '../../src/phases/apply.js';
import { runPlan } from '../../src/phases/plan.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { loadPlan, savePlan } from '../../src/plan/plan-file.js';
import { LocalTransport } from '../../src/transport/local-transport.js';

/**
 * A saved plan applies exactly what was reviewed, handlers included: a handler's command edited
 * after `plan --out` makes `apply --plan` refuse the plan as stale, before any change.
 */
let dir: string;
let topology: string;
let out: string;

const connect = async (node: { name: string }) => new LocalTransport(node.name);
const options = (extra: Partial<ApplyOptions> = {}): ApplyOptions => ({ topologyFile: topology, playbooks: [join(dir, 'app.yaml')], concurrency: 1, acceptNewHostKeys: false, progress: () => undefined, failFast: false, confirm: async () => true, emit: () => undefined, onPlan: () => undefined, connect, ...extra });
const writePlaybook = (handlerRun: string) =>
  writeFileSync(join(dir, 'app.yaml'), `name: app\nresources:\n  - file: { path: "${join(out, 'app.conf')}", content: "v2\\n", notify: [reload] }\nhandlers:\n  - { name: reload, run: ${JSON.stringify(handlerRun)} }\n`);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-saved-handlers-'));
  out = join(dir, 'out');
  mkdirSync(out);
  topology = join(dir, 'grid.yaml');
  writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a saved plan pins its handlers' commands", () => {
  it('records the command of each notified handler, and applies while it is unchanged', async () => {
    writePlaybook(`echo reviewed >> ${join(out, 'reloads')}`);
    const plan = await runPlan(options());
    expect(plan.hosts[0]!.handlerCommands).toEqual({ reload: `echo reviewed >> ${join(out, 'reloads')}` });
    await savePlan(join(dir, 'plan.json'), plan);
    await runApply(options({ savedPlan: await loadPlan(join(dir, 'plan.json')) }));
    expect(readFileSync(join(out, 'reloads'), 'utf8')).toBe('reviewed\n');
  });

  it("refuses the plan as stale once a handler's command was edited, and changes nothing", async () => {
    writePlaybook(`echo reviewed >> ${join(out, 'reloads')}`);
    await savePlan(join(dir, 'plan.json'), await runPlan(options()));
    writePlaybook(`echo unreviewed >> ${join(out, 'reloads')}`);
    const applying = runApply(options({ savedPlan: await loadPlan(join(dir, 'plan.json')) }));
    await expect(applying).rejects.toBeInstanceOf(StalePlanError);
    await expect(applying).rejects.toThrow(/hosts changed since the plan was saved: n1/);
    expect(existsSync(join(out, 'app.conf'))).toBe(false);
    expect(existsSync(join(out, 'reloads'))).toBe(false);
  });
});
