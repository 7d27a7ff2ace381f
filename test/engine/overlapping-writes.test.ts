import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refuseOverlappingWrites } from '../../src/engine/overlapping-writes.js';
import { planHost } from '../../src/engine/planner.js';
import { FileResource } from '../../src/resources/file.js';
import { KernelModuleResource } from '../../src/resources/kernel-module.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { allNodes } from '../../src/topology/model.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { smallGrid } from '../resources/fixtures.js';

/**
 * Two entries of a run that write one path (a `file` and a `line`, from two playbooks: a user's
 * `line` on a file a built-in playbook writes) would undo each other at every run: the planner
 * refuses the pair on the host, naming both entries and the path. Lines alone chain.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-overlap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const grid = smallGrid();
const node = allNodes(grid).find((n) => n.name === 'n1')!;
const host = { node, transport: new LocalTransport('n1') };

function playbook(name: string, resources: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nresources:\n${resources}`);
  return loadPlaybook(file);
}

describe('two entries of a run writing one path', () => {
  const conf = join(dir, 'app.conf');
  writeFileSync(conf, 'old=0\n');

  it('a file and a line on one path: a plan error naming both entries and the path', async () => {
    const base = playbook('base', `  - directory: { path: ${JSON.stringify(dir)} }\n  - file: { path: ${JSON.stringify(conf)}, content: "a=1\\n" }\n`);
    const mine = playbook('mine', `  - line: { path: ${JSON.stringify(conf)}, line: "b=2" }\n`);
    const { plan } = await planHost(grid, host, [base, mine]);
    expect(plan.error?.message).toBe(`playbook base, resources[1] (file) and playbook mine, resources[0] (line) both write ${conf}: each would undo what the other wrote, at every run`);
    expect(plan.error?.hint).toMatch(/manage the whole file in one place/);
  });

  it('lines alone on one path chain, from one playbook or two', async () => {
    const one = playbook('one', `  - line: { path: ${JSON.stringify(conf)}, line: "b=2" }\n`);
    const two = playbook('two', `  - line: { path: ${JSON.stringify(conf)}, line: "c=3" }\n`);
    const { plan } = await planHost(grid, host, [one, two]);
    expect(plan.error).toBeUndefined();
    expect(plan.changes.map((c) => c.kind)).toEqual(['line', 'line']);
  });

  it("a module's options from kernel.params and a playbook's kernel-module of that module write the same files alike: not refused", () => {
    const optionsOnly = { resource: new KernelModuleResource('vhost_net', { experimental_zcopytx: 0 }, { load: false }), playbook: 'node-base', index: 0 };
    const loaded = { resource: new KernelModuleResource('vhost-net', { experimental_zcopytx: 0 }), playbook: 'mine', index: 0 };
    expect(() => refuseOverlappingWrites('n1', [optionsOnly, loaded])).not.toThrow();
    const file = { resource: new FileResource({ path: '/etc/modprobe.d/zz-gridops-vhost_net.conf', content: 'x' }), playbook: 'mine', index: 1 };
    expect(() => refuseOverlappingWrites('n1', [optionsOnly, loaded, file])).toThrow(/playbook node-base, resources\[0\] \(kernel-module\) and playbook mine, resources\[1\] \(file\) both write/);
  });
});
