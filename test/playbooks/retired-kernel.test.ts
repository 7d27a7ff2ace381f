import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan, type HostOutcome } from '../../src/engine/applier.js';
import { planHost, type PlannedHost } from '../../src/engine/planner.js';
import { recordState } from '../../src/phases/record-state.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { recordedKernel, sparingWritten, sweepsOf, type RecordedKernel } from '../../src/playbooks/retired-kernel.js';
import type { AbsentPathsChange } from '../../src/plan/change.js';
import type { Resource } from '../../src/resources/resource.js';
import { readState } from '../../src/state/state.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { facts, smallGrid } from '../resources/fixtures.js';
import { hostRoot as hostWithFiles, playbookIn, rooted } from './support/kernel-host.js';
import { NO_BIRTHS } from '../../src/state/group-births.js';

/**
 * Terraform's rule for kernel settings: a kernel.sysctl key, or a module of kernel.modules or
 * kernel.params, that the state recorded and the topology dropped has its files removed by the
 * next apply, and only those. The planner reads real files here: this machine's, with the three
 * kernel directories moved under a temp root, by the shell read and by the read without a shell.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-retired-kernel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SOMAXCONN = '/etc/sysctl.d/99-zz-gridops-net.core.somaxconn.conf';
const KVM_LOAD = '/etc/modules-load.d/gridops-kvm.conf';
const KVM_OPTIONS = '/etc/modprobe.d/zz-gridops-kvm.conf';
const KVM_INTEL_OPTIONS = '/etc/modprobe.d/zz-gridops-kvm_intel.conf';

/** The node n1 with these kernel settings (a YAML flow mapping). */
const nodeWith = (kernel = '{}') => {
  const grid = smallGrid(`defaults: { kernel: ${kernel} }`);
  return { grid, node: allNodes(grid).find((n) => n.name === 'n1')! };
};

/** node-base's resources for n1 under these kernel settings, after a state that recorded `previous`. */
function nodeBase(kernel: string, previous?: RecordedKernel): Map<string, Resource> {
  const { grid, node } = nodeWith(kernel);
  return sparingWritten(new Map(instantiate(loadPlaybook('node-base'), templateContext(grid, node), {}, previous).resources.map((r) => [r.id, r])));
}

/** A playbook of its own in the temp dir. */
const playbook = (name: string, resources: string) => playbookIn(dir, name, resources);
/** node-base's kernel entries alone (its directories and identity file would be this machine's). */
const kernelEntries = () => playbook('kernel', '  - kernel-modules: {}\n  - sysctls: {}\n');
const hostRoot = (files: Record<string, string | null>) => hostWithFiles(dir, files);

const sweeps = (changes: readonly { kind: string }[]) => changes.filter((c): c is AbsentPathsChange => c.kind === 'absent-paths');

describe('kernel settings the topology dropped: their files are removed', () => {
  const previous: RecordedKernel = { sysctl: { 'net.core.somaxconn': 1024 }, modules: ['kvm'], params: { 'kvm-intel': { nested: 1 } } };

  it('a removed key and removed modules: the plan removes exactly their files, and says what stays in the running kernel', async () => {
    const root = hostRoot({ [SOMAXCONN]: 'x', '/etc/sysctl.d/90-other.conf': 'keep', [KVM_LOAD]: 'kvm\n', [KVM_OPTIONS]: 'options kvm\n', [KVM_INTEL_OPTIONS]: null, '/etc/modprobe.d/zz-gridops-tun.conf': 'keep' });
    const { grid, node } = nodeWith();
    const calls: string[] = [];
    const { plan, planned } = await planHost(grid, { node, transport: rooted(root, calls) }, [kernelEntries()], {}, NO_BIRTHS, { previousKernel: previous });
    expect(plan.error).toBeUndefined();
    expect(calls).toEqual(['exec']);
    expect(plan.changes).toEqual([
      expect.objectContaining({
        kind: 'absent-paths',
        action: 'delete',
        // A dangling link is there as much as a file: [ -L ] finds it.
        paths: [KVM_LOAD, KVM_OPTIONS, KVM_INTEL_OPTIONS],
        why: ['kvm left kernel.modules; gridops does not unload it: it stays loaded until it is unloaded or the node reboots', 'kvm_intel left kernel.params; a loaded kvm_intel keeps these options until it is next loaded'],
      }),
      expect.objectContaining({
        kind: 'absent-paths',
        action: 'delete',
        paths: [SOMAXCONN],
        summary: `remove ${SOMAXCONN} (net.core.somaxconn left kernel.sysctl; the running kernel keeps its value until the next boot)`,
      }),
    ]);

    const outcomes = await applyPlan([planned!], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcomes).toMatchObject([{ host: 'n1', status: 'applied', applied: 2 }]);
    for (const path of [SOMAXCONN, KVM_LOAD, KVM_OPTIONS, KVM_INTEL_OPTIONS]) expect(existsSync(join(root, path))).toBe(false);
    expect(existsSync(join(root, '/etc/sysctl.d/90-other.conf'))).toBe(true);
    expect(existsSync(join(root, '/etc/modprobe.d/zz-gridops-tun.conf'))).toBe(true);

    // The state then records the settings without them: nothing is swept, nothing planned.
    const again = await planHost(grid, { node, transport: rooted(root, []) }, [kernelEntries()], {}, NO_BIRTHS, { previousKernel: recordedKernel(previous, node.settings.kernel, { sysctl: true, modules: true }) });
    expect(again.plan.changes).toEqual([]);
    expect([...again.planned!.resources.keys()]).toEqual([]);
  });

  it('a plan with retired items is read without a shell where the host was, and plans the same', async () => {
    const root = hostRoot({ [SOMAXCONN]: 'x', [KVM_LOAD]: 'kvm\n', [KVM_INTEL_OPTIONS]: null });
    const { grid, node } = nodeWith();
    const [shellCalls, sftpCalls]: string[][] = [[], []];
    const shell = await planHost(grid, { node, transport: rooted(root, shellCalls) }, [kernelEntries()], {}, NO_BIRTHS, { previousKernel: previous });
    const served = await planHost(grid, { node, transport: rooted(root, sftpCalls) }, [kernelEntries()], {}, NO_BIRTHS, { previousKernel: previous, withoutShell: true });
    expect(sftpCalls).toEqual(['queryFiles']);
    expect(served.planned!.readWithoutShell).toBe(true);
    expect(sweeps(served.plan.changes).map((c) => c.paths)).toEqual([[KVM_LOAD, KVM_INTEL_OPTIONS], [SOMAXCONN]]);
    expect(served.plan.changes).toEqual(shell.plan.changes);
  });

  it('a file another playbook of the run writes is kept: its own sysctl entry for the key', async () => {
    const root = hostRoot({ [SOMAXCONN]: '# managed by gridops\nnet.core.somaxconn = 1024\n' });
    const { grid, node } = nodeWith();
    const own = playbook('own-sysctl', '  - sysctl: { key: net.core.somaxconn, value: "1024" }\n');
    const { plan, planned } = await planHost(grid, { node, transport: rooted(root, []) }, [kernelEntries(), own], {}, NO_BIRTHS, { previousKernel: { sysctl: { 'net.core.somaxconn': 1024 } } });
    expect(plan.error).toBeUndefined();
    expect([...planned!.resources.keys()]).toEqual(['sysctl net.core.somaxconn']);
    expect(sweeps(plan.changes)).toEqual([]);
    // The same key under its other spelling is the same file, kept too.
    expect([...nodeBase('{ sysctl: { net/core/somaxconn: 1024 } }', { sysctl: { 'net.core.somaxconn': 1024 } }).keys()]).not.toContainEqual(expect.stringMatching(/^absent-paths/));
  });

  it("a playbook's kernel-module entry, or kernel.params still naming the module, keeps its files; the rest goes", () => {
    const { grid, node } = nodeWith();
    const own = playbook('own-module', '  - kernel-module: { name: kvm }\n');
    const made = [loadPlaybook('node-base'), own].flatMap((p) => instantiate(p, templateContext(grid, node), {}, { modules: ['kvm', 'tun'] }).resources);
    const sweep = [...sparingWritten(new Map(made.map((r) => [r.id, r]))).values()].filter((r) => r.kind === 'absent-paths');
    expect(sweep.map((r) => r.id)).toEqual(['absent-paths /etc/modules-load.d/gridops-tun.conf,/etc/modprobe.d/zz-gridops-tun.conf']);
    // kvm_intel moved from kernel.modules to kernel.params: not loaded at boot any more, its options stay.
    const moved = [...nodeBase('{ params: { kvm_intel: { nested: 1 } } }', { modules: ['kvm_intel'], params: { kvm_intel: { nested: 1 } } }).keys()];
    expect(moved).toEqual(['module-options kvm_intel', 'absent-paths /etc/modules-load.d/gridops-kvm_intel.conf', 'directory /etc/gridops', 'directory /var/lib/gridops', 'file /etc/gridops/node.json']);
    // Still listed, params dropped: the module's own resource removes its options file.
    expect([...nodeBase('{ modules: [kvm] }', { modules: ['kvm'], params: { kvm: { ignore_msrs: 1 } } }).keys()]).toEqual(['kernel-module kvm', 'directory /etc/gridops', 'directory /var/lib/gridops', 'file /etc/gridops/node.json']);
  });

  it('nothing retired, or nothing recorded (a state from an older gridops): no resource at all, the same probes', () => {
    const kernel = '{ modules: [kvm], params: { kvm_intel: { nested: 1 } }, sysctl: { vm.swappiness: 10 } }';
    const today = nodeBase(kernel);
    expect([...today.keys()]).toEqual(['kernel-module kvm', 'module-options kvm_intel', 'sysctl vm.swappiness', 'directory /etc/gridops', 'directory /var/lib/gridops', 'file /etc/gridops/node.json']);
    const probes = (resources: Map<string, Resource>) => [...resources.values()].map((r) => [r.id, r.probe()]);
    for (const previous of [undefined, {}, { modules: ['kvm'] }, { modules: ['kvm'], params: { 'kvm-intel': { nested: 0 } }, sysctl: { 'vm.swappiness': 60 } }]) {
      expect(probes(nodeBase(kernel, previous))).toEqual(probes(today));
    }
    expect(sparingWritten(today)).toBe(today);
  });

  it('record the state: a failed run, or one without node-base (--playbook), keeps a dropped key for the next apply; a good node-base run drops it', async () => {
    const { grid, node } = nodeWith('{ sysctl: { vm.swappiness: 10 } }');
    const paths = { state: join(dir, 'g.state.json'), lock: join(dir, 'g.lock'), gridKey: join(dir, 'g.key'), planDigestKey: join(dir, 'g.digest') };
    const record = async (playbooks: string[], status: HostOutcome['status'], previous: RecordedKernel) => {
      writeFileSync(paths.state, JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: { topologyHash: 'h0', playbooks: ['node-base'], gridopsVersion: '0', agentVersion: null, appliedAt: '', changesApplied: 0, lastOutcome: 'applied', node: { address: node.address, region: 'r1', subgrid: 's1', user: 'root', port: 22, settings: { ...node.settings, kernel: previous } } } } }));
      const ctx = new RunContext({ progress: () => undefined } as unknown as ApplyOptions);
      ctx.setGrid(grid, paths);
      const loaded = playbooks.map((name) => loadPlaybook(name));
      ctx.workflow = { byNode: new Map([['n1', loaded]]), refs: playbooks, adHoc: false };
      ctx.planned = [{ session: { node, facts: facts() }, kernelEntries: {}, handlers: [], plan: { host: 'n1', address: node.address, playbooks, changes: [], notes: [], handlers: [] } } as unknown as PlannedHost];
      ctx.outcomes = [{ host: 'n1', status, applied: 0 }];
      await recordState.run(ctx);
      return (await readState(paths.state, 'g')).hosts.n1!.node!.settings!.kernel.sysctl;
    };
    const previous = { modules: [], params: {}, sysctl: { 'net.core.somaxconn': 1024, 'vm.swappiness': 60 } };
    expect(await record(['node-base', 'agent'], 'failed', previous)).toEqual({ 'net.core.somaxconn': 1024, 'vm.swappiness': 10 });
    expect(await record(['agent'], 'applied', previous)).toEqual({ 'net.core.somaxconn': 1024, 'vm.swappiness': 10 });
    expect(await record(['node-base', 'agent'], 'applied', previous)).toEqual({ 'vm.swappiness': 10 });
    expect(await record(['node-base'], 'unchanged', previous)).toEqual({ 'vm.swappiness': 10 });
  });

  it('a run that did not sweep (failed, or --playbook without node-base) records what is still to be removed', () => {
    const { node } = nodeWith('{ modules: [kvm_intel], sysctl: { vm.swappiness: 10 } }');
    const now = node.settings.kernel;
    const before: RecordedKernel = { modules: ['kvm-intel', 'tun'], params: { tun: { x: 1 }, 'kvm-intel': { nested: 1 } }, sysctl: { 'net.core.somaxconn': 1024, 'vm.swappiness': 60 } };
    expect(recordedKernel(before, now, { sysctl: true, modules: true })).toEqual(now);
    expect(recordedKernel(undefined, now, { sysctl: false, modules: false })).toEqual(now);
    expect(recordedKernel(before, now, { sysctl: false, modules: false })).toEqual({ modules: ['kvm_intel', 'tun'], params: { tun: { x: 1 }, 'kvm-intel': { nested: 1 } }, sysctl: { 'net.core.somaxconn': 1024, 'vm.swappiness': 10 } });
    expect(recordedKernel({ sysctl: { a: 1 } }, now, { sysctl: true, modules: false })).toEqual({ ...now, sysctl: now.sysctl });
    expect(sweepsOf([loadPlaybook('node-base')], node.settings)).toEqual({ sysctl: true, modules: true });
    expect(sweepsOf([loadPlaybook('agent'), playbook('only-sysctls', '  - sysctls: {}\n')], node.settings)).toEqual({ sysctl: true, modules: false });
  });
});
