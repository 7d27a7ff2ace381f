import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan, type HostOutcome } from '../../src/engine/applier.js';
import { planHost, type PlanHostOptions, type PlannedHost } from '../../src/engine/planner.js';
import { recordState } from '../../src/phases/record-state.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import type { LoadedPlaybook } from '../../src/playbooks/load.js';
import { recordedEntries, retiredEntries } from '../../src/playbooks/retired-entries.js';
import type { AbsentPathsChange } from '../../src/plan/change.js';
import { readState, type EntriesByPlaybook } from '../../src/state/state.js';
import { allNodes, type KernelConfig } from '../../src/topology/model.js';
import { facts, smallGrid } from '../resources/fixtures.js';
import { hostRoot, playbookIn, rooted } from './support/kernel-host.js';
import { NO_BIRTHS } from '../../src/state/group-births.js';

/**
 * Terraform's rule for a playbook's own `sysctl` and `kernel-module` entries: an entry the state
 * recorded for a playbook that no longer declares it has its files removed by the next apply, and
 * only gridops' own files, and only those nothing else manages. The planner reads real files here
 * (this machine's, the kernel directories under a temp root) and apply removes them.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-retired-entries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SOMAXCONN = '/etc/sysctl.d/99-zz-gridops-net.core.somaxconn.conf';
// The entry a playbook keeps: this machine's own value, so that its sysctl resource plans no `sysctl -w` here.
const PID_MAX = readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim();
const PID_MAX_FILE = '/etc/sysctl.d/99-zz-gridops-kernel.pid_max.conf';
const PID_MAX_CONTENT = `# managed by gridops\nkernel.pid_max = ${PID_MAX}\n`;
const TUN_LOAD = '/etc/modules-load.d/gridops-tun.conf';
const TUN_OPTIONS = '/etc/modprobe.d/zz-gridops-tun.conf';
const NONE: KernelConfig = { modules: [], params: {}, sysctl: {} };

/** The node n1 with these kernel settings (a YAML flow mapping). */
const nodeWith = (kernel = '{}') => {
  const grid = smallGrid(`defaults: { kernel: ${kernel} }`);
  return { grid, node: allNodes(grid).find((n) => n.name === 'n1')! };
};

/** Plans n1 with these playbooks after a state that recorded `previous`, reading the host at `root`. */
async function plan(root: string, playbooks: LoadedPlaybook[], previous: EntriesByPlaybook | undefined, options: PlanHostOptions & { kernel?: string } = {}) {
  const { grid, node } = nodeWith(options.kernel);
  const calls: string[] = [];
  const planning = await planHost(grid, { node, transport: rooted(root, calls) }, playbooks, {}, NO_BIRTHS, { workflowRun: true, previousEntries: previous, ...options });
  expect(planning.plan.error).toBeUndefined();
  return { ...planning, calls };
}

const sweeps = (changes: readonly { kind: string }[]) => changes.filter((c): c is AbsentPathsChange => c.kind === 'absent-paths');

describe("a playbook's own sysctl and kernel-module entries it dropped: their files are removed", () => {
  it('a dropped sysctl and a dropped module: the plan removes their files and says why; apply removes exactly those; then nothing is planned', async () => {
    const tuning = playbookIn(dir, 'tuning', `  - sysctl: { key: kernel.pid_max, value: "${PID_MAX}" }\n`);
    const root = hostRoot(dir, {
      [PID_MAX_FILE]: PID_MAX_CONTENT,
      [SOMAXCONN]: '# managed by gridops\nnet.core.somaxconn = 1024\n',
      [TUN_LOAD]: '# managed by gridops\ntun\n',
      [TUN_OPTIONS]: null,
      '/etc/sysctl.d/90-operator.conf': 'keep',
    });
    const previous = { [tuning.ref]: { sysctl: ['kernel.pid_max', 'net.core.somaxconn'], modules: ['tun'] } };
    const { plan: p, planned, calls } = await plan(root, [tuning], previous);
    expect(calls).toEqual(['exec']);
    expect(sweeps(p.changes)).toEqual([
      expect.objectContaining({
        action: 'delete',
        // A dangling link is there as much as a file.
        paths: [SOMAXCONN, TUN_LOAD, TUN_OPTIONS],
        why: [`net.core.somaxconn left playbook ${tuning.ref}; the running kernel keeps its value until the next boot`, `tun left playbook ${tuning.ref}; gridops does not unload it: it stays loaded until it is unloaded or the node reboots`],
      }),
    ]);
    // The entry the playbook still has is its own resource, in sync: not swept, not changed.
    expect(p.changes.map((c) => c.kind)).toEqual(['absent-paths']);
    expect(planned!.kernelEntries).toEqual({ [tuning.ref]: { sysctl: ['kernel.pid_max'], modules: [] } });

    expect(await applyPlan([planned!], { concurrency: 1, failFast: false, emit: () => undefined })).toMatchObject([{ host: 'n1', status: 'applied', applied: 1 }]);
    for (const gone of [SOMAXCONN, TUN_LOAD, TUN_OPTIONS]) expect(existsSync(join(root, gone))).toBe(false);
    expect(readFileSync(join(root, PID_MAX_FILE), 'utf8')).toBe(PID_MAX_CONTENT);
    expect(readFileSync(join(root, '/etc/sysctl.d/90-operator.conf'), 'utf8')).toBe('keep');

    const again = await plan(root, [tuning], recordedEntries(previous, planned!.kernelEntries, { ok: true, workflowRun: true, workflowRefs: new Set([tuning.ref]) }));
    expect(again.plan.changes).toEqual([]);
    expect([...again.planned!.resources.keys()]).toEqual(['sysctl kernel.pid_max']);
  });

  it('the sweep is read without a shell where the host was, and plans the same', async () => {
    // Its last entry dropped too (a sysctl's live value is not a file the read without a shell serves).
    const tuning = playbookIn(dir, 'tuning-sftp', '  - sysctls: {}\n');
    const root = hostRoot(dir, { [SOMAXCONN]: 'x' });
    const previous = { [tuning.ref]: { sysctl: ['kernel.pid_max', 'net.core.somaxconn'], modules: [] } };
    const shell = await plan(root, [tuning], previous);
    const served = await plan(root, [tuning], previous, { withoutShell: true });
    expect(served.calls).toEqual(['queryFiles']);
    expect(served.planned!.readWithoutShell).toBe(true);
    expect(served.plan.changes).toEqual(shell.plan.changes);
    expect(sweeps(served.plan.changes).map((c) => c.paths)).toEqual([[SOMAXCONN]]);
  });

  it("a playbook that left the host's workflow: a workflow run sweeps its entries, a --playbook run leaves them", async () => {
    const root = hostRoot(dir, { [SOMAXCONN]: 'x' });
    const other = playbookIn(dir, 'other', '  - directory: { path: /var/tmp/gridops-retired-entries-unused }\n');
    const previous = { '/srv/playbooks/gone.yaml': { sysctl: ['net.core.somaxconn'], modules: [] } };
    const workflow = await plan(root, [other], previous, { workflowRun: true });
    expect(sweeps(workflow.plan.changes)).toEqual([expect.objectContaining({ paths: [SOMAXCONN], why: [`net.core.somaxconn left the host's workflow with playbook /srv/playbooks/gone.yaml; the running kernel keeps its value until the next boot`] })]);
    const adHoc = await plan(root, [other], previous, { workflowRun: false });
    expect(sweeps(adHoc.plan.changes)).toEqual([]);
  });

  it('files something still manages are spared: another playbook of the run, the topology kernel lists, a playbook a --playbook run leaves out', () => {
    const previous = { a: { sysctl: ['net.core.somaxconn', 'vm.swappiness', 'kernel.pid_max'], modules: ['tun', 'dummy'] }, b: { sysctl: ['kernel.pid_max'], modules: [] } };
    const ids = (r: ReturnType<typeof retiredEntries>) => r.map((x) => x.id);
    // a dropped them all; b (not run, --playbook) still declares pid_max; c declares somaxconn; the topology lists swappiness and names dummy's options.
    const kernel: KernelConfig = { modules: [], params: { dummy: { numdummies: 2 } }, sysctl: { 'vm.swappiness': 10 } };
    const sweep = retiredEntries(previous, { a: { sysctl: [], modules: [] }, c: { sysctl: ['net.core.somaxconn'], modules: [] } }, { workflowRun: false, kernel });
    expect(ids(sweep)).toEqual(['absent-paths /etc/modules-load.d/gridops-tun.conf,/etc/modprobe.d/zz-gridops-tun.conf,/etc/modules-load.d/gridops-dummy.conf']);
    // A workflow run where a dropped pid_max alone: b left the workflow, and pid_max goes with both.
    const dropsPidMax = { a: { sysctl: ['net.core.somaxconn', 'vm.swappiness'], modules: previous.a.modules } };
    expect(ids(retiredEntries(previous, dropsPidMax, { workflowRun: true, kernel: NONE }))).toEqual(['absent-paths /etc/sysctl.d/99-zz-gridops-kernel.pid_max.conf,/etc/sysctl.d/90-gridops-kernel.pid_max.conf']);
    // A --playbook run without b: b still manages it.
    expect(retiredEntries(previous, dropsPidMax, { workflowRun: false, kernel: NONE })).toEqual([]);
    // Nothing recorded (a state from an older gridops), or nothing dropped: no resource at all.
    expect(retiredEntries(undefined, { a: { sysctl: [], modules: [] } }, { workflowRun: true, kernel: NONE })).toEqual([]);
    expect(retiredEntries(previous, previous, { workflowRun: true, kernel: NONE })).toEqual([]);
    // A module under its other spelling is the same module.
    expect(retiredEntries({ a: { sysctl: [], modules: ['kvm-intel'] } }, { a: { sysctl: [], modules: ['kvm_intel'] } }, { workflowRun: true, kernel: NONE })).toEqual([]);
  });

  it('a templated key is recorded as rendered for the host, and only what an entry names: not a file entry, not node-base\'s kernel lists', async () => {
    const templated = playbookIn(dir, 'templated', '  - sysctl: { key: "net.ipv4.conf.{{ node.name }}.forwarding", value: "1" }\n  - file: { path: /var/tmp/gridops-retired-entries-f, content: x }\n  - sysctls: {}\n');
    const root = hostRoot(dir, {});
    const { planned } = await plan(root, [templated], undefined, { kernel: '{ sysctl: { vm.swappiness: 10 } }' });
    expect(planned!.kernelEntries).toEqual({ [templated.ref]: { sysctl: ['net.ipv4.conf.n1.forwarding'], modules: [] } });
  });
});

describe('ad-hoc work (--playbook), a playbook that no longer applies, and the topology sweep', () => {
  it("a --playbook run's playbook outside the workflow is recorded as ad hoc: workflow runs leave its files, a run of it retires what it dropped", async () => {
    const tune = playbookIn(dir, 'tune', `  - sysctl: { key: kernel.pid_max, value: "${PID_MAX}" }\n  - kernel-module: { name: tun }\n`);
    const other = playbookIn(dir, 'workflow-other', '  - sysctls: {}\n');
    const root = hostRoot(dir, { [PID_MAX_FILE]: PID_MAX_CONTENT, [TUN_LOAD]: '# managed by gridops\ntun\n' });
    // The ad-hoc run: its playbook is not in the node's workflow (workflowRefs).
    const adHoc = recordedEntries(undefined, { [tune.ref]: { sysctl: ['kernel.pid_max'], modules: ['tun'] } }, { ok: true, workflowRun: false, workflowRefs: new Set([other.ref]) });
    expect(adHoc).toEqual({ [tune.ref]: { sysctl: ['kernel.pid_max'], modules: ['tun'], adHoc: true } });
    // The next workflow run does not run it: nothing swept, and it stays recorded.
    const workflow = await plan(root, [other], adHoc, { workflowRun: true });
    expect(workflow.plan.changes).toEqual([]);
    expect(recordedEntries(adHoc, workflow.planned!.kernelEntries, { ok: true, workflowRun: true, workflowRefs: new Set([other.ref]) })).toEqual(adHoc);
    // Run again with its module dropped: that module's files go.
    const again = playbookIn(dir, 'tune', `  - sysctl: { key: kernel.pid_max, value: "${PID_MAX}" }\n`);
    const swept = await plan(root, [again], adHoc, { workflowRun: false });
    expect(sweeps(swept.plan.changes)).toEqual([expect.objectContaining({ paths: [TUN_LOAD], why: [`tun left playbook ${tune.ref}; gridops does not unload it: it stays loaded until it is unloaded or the node reboots`] })]);
    // Once the topology lists it, a workflow run records it as the workflow's.
    expect(recordedEntries(adHoc, swept.planned!.kernelEntries, { ok: true, workflowRun: true, workflowRefs: new Set([tune.ref]) })).toEqual({ [tune.ref]: { sysctl: ['kernel.pid_max'], modules: [] } });
  });

  it('a playbook that no longer applies to the node (onlyWhere): its entries go, and the plan says why', async () => {
    const vmOnly = playbookIn(dir, 'vm-only', '  - sysctl: { key: net.core.somaxconn, value: "1024" }\nonlyWhere: hypervisor.enabled\n');
    const root = hostRoot(dir, { [SOMAXCONN]: 'x' });
    const { plan: p } = await plan(root, [vmOnly], { [vmOnly.ref]: { sysctl: ['net.core.somaxconn'], modules: [] } });
    expect(sweeps(p.changes)).toEqual([expect.objectContaining({ paths: [SOMAXCONN], why: [`playbook ${vmOnly.ref} no longer applies to this node (its onlyWhere), nor does its net.core.somaxconn; the running kernel keeps its value until the next boot`] })]);
  });

  it("the topology's own sweep spares a file a playbook the run leaves out still manages, and a path both sweeps retire is listed once", async () => {
    const kernelLists = playbookIn(dir, 'kernel-lists', '  - kernel-modules: {}\n  - sysctls: {}\n');
    const root = hostRoot(dir, { [SOMAXCONN]: 'x' });
    // somaxconn moved from kernel.sysctl into playbook tune, which this run (--playbook kernel-lists) leaves out.
    const moved = await plan(root, [kernelLists], { '/srv/tune.yaml': { sysctl: ['net.core.somaxconn'], modules: [] } }, { workflowRun: false, previousKernel: { sysctl: { 'net.core.somaxconn': 1024 } } });
    expect(sweeps(moved.plan.changes)).toEqual([]);
    // Dropped from both kernel.sysctl and the playbook, which runs and dropped another key too:
    // somaxconn is removed once, with the topology's reason.
    const SYN_RETRIES = '/etc/sysctl.d/99-zz-gridops-net.ipv4.tcp_syn_retries.conf';
    const both = hostRoot(dir, { [SOMAXCONN]: 'x', [SYN_RETRIES]: 'x' });
    const own = playbookIn(dir, 'own-emptied', '  - sysctls: {}\n');
    const planned = await plan(both, [kernelLists, own], { [own.ref]: { sysctl: ['net.core.somaxconn', 'net.ipv4.tcp_syn_retries'], modules: [] } }, { previousKernel: { sysctl: { 'net.core.somaxconn': 1024 } } });
    expect(sweeps(planned.plan.changes)).toEqual([
      expect.objectContaining({ paths: [SOMAXCONN], why: ['net.core.somaxconn left kernel.sysctl; the running kernel keeps its value until the next boot'] }),
      expect.objectContaining({ paths: [SYN_RETRIES], why: [`net.ipv4.tcp_syn_retries left playbook ${own.ref}; the running kernel keeps its value until the next boot`] }),
    ]);
  });
});

describe('what the state records', () => {
  const previous = { a: { sysctl: ['k1', 'k2'], modules: ['tun'] }, b: { sysctl: ['k3'], modules: [] } };
  const current = { a: { sysctl: ['k1'], modules: [] } };
  const workflowRefs = new Set(['a', 'b']);

  it('a good workflow run: what each playbook declares now; a good --playbook run keeps the playbooks it left out; a failed run keeps everything', () => {
    expect(recordedEntries(previous, current, { ok: true, workflowRun: true, workflowRefs })).toEqual(current);
    expect(recordedEntries(previous, current, { ok: true, workflowRun: false, workflowRefs })).toEqual({ a: { sysctl: ['k1'], modules: [] }, b: { sysctl: ['k3'], modules: [] } });
    expect(recordedEntries(previous, current, { ok: false, workflowRun: true, workflowRefs })).toEqual({ a: { sysctl: ['k1', 'k2'], modules: ['tun'] }, b: { sysctl: ['k3'], modules: [] } });
    expect(recordedEntries(undefined, { a: { sysctl: [], modules: [] } }, { ok: true, workflowRun: true, workflowRefs })).toEqual({});
  });

  it('record the state writes them per host, and leaves the field out when there are none', async () => {
    const { grid, node } = nodeWith();
    const paths = { state: join(dir, 'g.state.json'), lock: join(dir, 'g.lock'), gridKey: join(dir, 'g.key'), planDigestKey: join(dir, 'g.digest') };
    const record = async (kernelEntries: EntriesByPlaybook, status: HostOutcome['status'], adHoc: boolean) => {
      writeFileSync(paths.state, JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: { topologyHash: 'h0', playbooks: ['node-base'], gridopsVersion: '0', agentVersion: null, appliedAt: '', changesApplied: 0, lastOutcome: 'applied', node: { address: node.address, region: 'r1', subgrid: 's1', user: 'root', port: 22, settings: node.settings }, kernelEntries: previous } } }));
      const ctx = new RunContext({ progress: () => undefined } as unknown as ApplyOptions);
      ctx.setGrid(grid, paths);
      ctx.workflow = { byNode: new Map([['n1', []]]), refs: Object.keys(kernelEntries), adHoc };
      ctx.planned = [{ session: { node, facts: facts() }, kernelEntries, handlers: [], plan: { host: 'n1', address: node.address, playbooks: Object.keys(kernelEntries), changes: [], notes: [], handlers: [] } } as unknown as PlannedHost];
      ctx.outcomes = [{ host: 'n1', status, applied: 0 }];
      await recordState.run(ctx);
      return (await readState(paths.state, 'g')).hosts.n1!.kernelEntries;
    };
    expect(await record(current, 'applied', false)).toEqual(current);
    expect(await record(current, 'failed', false)).toEqual(previous);
    // A --playbook run of `a`, which is not in n1's workflow (node-base, qos, agent): recorded as ad hoc.
    expect(await record(current, 'applied', true)).toEqual({ a: { ...current.a, adHoc: true }, b: previous.b });
    expect(await record({ a: { sysctl: [], modules: [] } }, 'unchanged', false)).toBeUndefined();
  });
});
