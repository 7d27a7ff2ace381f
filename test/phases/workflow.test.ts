import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ApplyFailedError, ConfirmationRefusedError, ConnectionError, HostKeyError, StalePlanError, ValidationError } from '../../src/errors/index.js';
import { APPLY_PHASES, runApply } from '../../src/phases/apply.js';
import type { ApplyResult } from '../../src/phases/apply-outcome.js';
import { formatApplySummary } from '../../src/formatters/apply-summary.js';
import { PLAN_PHASES, runPlan } from '../../src/phases/plan.js';
import { runPhases } from '../../src/phases/manager.js';
import type { Phase } from '../../src/phases/phase.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { gridPlaybooks } from '../../src/phases/workflow-playbooks.js';
import { removedNode } from '../../src/phases/find-removed-nodes.js';
import { recordOf, renamedTo } from '../../src/phases/renamed-node.js';
import { loadTopology } from '../../src/topology/load.js';
import type { Node } from '../../src/topology/model.js';
import { lockState } from '../../src/phases/lock-state.js';
import { verifyOverlay } from '../../src/phases/verify-overlay.js';
import type { Plan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/plan/render.js';
import { forgetNodes } from '../../src/state/forget-nodes.js';
import { statePaths } from '../../src/state/state.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { connectionTarget } from '../../src/transport/ssh-config.js';
import { becomeFor } from '../../src/engine/become.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { sh } from '../../src/transport/quote.js';
import { gridOf } from '../resources/fixtures.js';
import { dryRun } from './dry-run-batch.js';
import { oneSubgridTopology, writeKey } from '../transport/connect-support.js';
import { freePort } from '../transport/sshd-harness.js';
import { hostRoot, rooted } from '../playbooks/support/kernel-host.js';
import { sysctlFile } from '../../src/resources/sysctl.js';
import { localRecording, localRunOptions } from '../support/local-run.js';

jest.setTimeout(60_000);

const local = new LocalTransport('local');
let dir: string;
let topology: string;
let playbook: string;
let transports: RecordingTransport[];

/** Every command goes to a real local shell, through the recording fake (so the test sees the transcript). */
const connect = async (node: { name: string }) => {
  const t = localRecording(node.name);
  transports.push(t);
  return t;
};

function options(extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return localRunOptions({ topologyFile: topology, playbooks: [playbook] }, { connect, ...extra });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-phases-'));
  transports = [];
  topology = join(dir, 'grid.yaml');
  writeFileSync(
    topology,
    `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2 }
`,
  );
  mkdirSync(join(dir, 'pb'));
  playbook = join(dir, 'pb', 'local.yaml');
  writeFileSync(playbook, `name: local\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.txt')}", content: "{{node.name}} of {{subgrid.name}}\\n" }\n`);
  mkdirSync(join(dir, 'out'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the apply workflow is one list of phases', () => {
  it('reads as DESIGN "gridops apply, in phases"', () => {
    expect(APPLY_PHASES.map((p) => p.title)).toEqual([
      'check the playbooks and nodes against the saved plan',
      'validate the topology and its playbooks',
      'check the saved plan is of this topology',
      'lock the state',
      'check that no newer gridops applied the grid',
      'find nodes to decommission',
      'check that no node moved to another sub-grid',
      'check that no --playbook run renames an agent',
      'check that no node changed host',
      'find renamed grid networks',
      'connect, gather facts and read the current state',
      'plan',
      'check the saved plan against the hosts',
      'check that a grid the state does not know keeps its key',
      'check that only the new site changes',
      'check that a rolling apply keeps the agents one overlay',
      'check that a new grid key reaches every agent of the grid',
      'check that a rolling apply keeps a super peer in every sub-grid',
      'ask the agents before a rolling apply',
      'show the plan and confirm',
      'apply in batches',
      'verify the overlay',
      'record the state',
      'disconnect',
    ]);
    // plan is apply's read-only beginning: no lock, nothing applied.
    expect(PLAN_PHASES.map((p) => p.title)).toEqual(['validate the topology and its playbooks', 'check that no newer gridops applied the grid', 'find nodes to decommission', 'check that no node moved to another sub-grid', 'check that no --playbook run renames an agent', 'check that no node changed host', 'find renamed grid networks', 'connect, gather facts and read the current state', 'plan', 'disconnect']);
  });

  it('applies, records the state, releases the lock; then a plan has zero changes', async () => {
    const phases: string[] = [];
    let profile: RunContext['profile'] | undefined;
    const result = await runApply({ ...options(), onProfile: (p) => (profile = p) }, (t) => phases.push(t));
    // -v's profile: every phase that ran, and each host's connect, read and apply times.
    expect(profile!.phases.map((p) => p.title)).toEqual(phases);
    expect([...profile!.hosts.keys()].sort()).toEqual(['n1', 'n2']);
    expect(Object.keys(profile!.hosts.get('n1')!).sort()).toEqual(['apply', 'connect', 'read']);
    expect(phases).not.toContain('check the saved plan against the hosts');
    expect(phases).not.toContain('verify the overlay'); // no agent runs here
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([
      ['n1', 'applied'],
      ['n2', 'applied'],
    ]);
    expect(readFileSync(join(dir, 'out', 'n2.txt'), 'utf8')).toBe('n2 of s1\n');
    const state = JSON.parse(readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8'));
    expect(state.hosts.n1).toMatchObject({ lastOutcome: 'applied', playbooks: [playbook] });
    expect(existsSync(join(dir, '.gridops', 'g.lock'))).toBe(false);
    const again = await runPlan(options());
    expect(again.hosts.every((h) => h.changes.length === 0)).toBe(true);
  });

  it('refuses an invalid topology before connecting to anything', async () => {
    writeFileSync(topology, `${readFileSync(topology, 'utf8')}          - { name: n1, address: 10.0.0.3 }\n`);
    await expect(runApply(options())).rejects.toBeInstanceOf(ValidationError);
    expect(transports).toHaveLength(0);
    expect(existsSync(join(dir, '.gridops', 'g.lock'))).toBe(false);
  });

  it('a refused confirmation changes nothing, and the lock and connections are let go', async () => {
    await expect(runApply(options({ confirm: async () => false }))).rejects.toBeInstanceOf(ConfirmationRefusedError);
    expect(existsSync(join(dir, 'out', 'n1.txt'))).toBe(false);
    expect(existsSync(join(dir, '.gridops', 'g.lock'))).toBe(false);
    expect(transports.every((t) => t.closed)).toBe(true);
    // Only reads reached the hosts: facts and probes, no batch script.
    expect(transports.flatMap((t) => t.commands()).filter((c) => c === 'sh -s')).toEqual([]);
  });

  it('a failing host is reported with its step; the other host is applied, and the state says which', async () => {
    writeFileSync(playbook, `${readFileSync(playbook, 'utf8')}  - command: { name: fail-on-n2, run: "test {{node.name}} != n2", unless: "false" }\n`);
    const err = await runApply(options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyFailedError);
    const { result } = err as ApplyFailedError & { result: { hosts: Array<{ host: string; status: string; failure?: { step: string } }> } };
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([
      ['n1', 'applied'],
      ['n2', 'failed'],
    ]);
    expect((err as Error).message).toBe('1 host failed');
    // The failed step's line says each thing once: the host, the step, how it ended.
    expect(formatApplySummary(result as unknown as ApplyResult).split('\n')).toContain('  FAILED n2 at command fail-on-n2: exit 1');
    const state = JSON.parse(readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8'));
    expect(state.hosts.n2).toMatchObject({ lastOutcome: 'failed', appliedAt: '', lastError: 'command fail-on-n2: exit 1' });
    // The failed run's time is recorded apart from the last successful apply's.
    expect(Date.parse(state.hosts.n2.lastRunAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(state.hosts.n1.lastRunAt).toBe(state.hosts.n1.appliedAt);
  });
});

describe('connections are let go as soon as the run needs no more of a host', () => {
  /** Each host's reads, applies and close, in the order they happened across hosts. */
  function recordingEvents(events: string[]) {
    return async (node: { name: string }) => {
      const t = new RecordingTransport(node.name).on(/[\s\S]*/, (command, { options: o }) => {
        events.push(`${node.name} ${command === 'sh -s' ? 'apply' : 'exec'}`);
        return local.exec(command, { stdin: o.stdin });
      });
      const close = t.close.bind(t);
      t.close = async () => {
        events.push(`${node.name} close`);
        return close();
      };
      transports.push(t);
      return t;
    };
  }

  it('apply closes a host with nothing to change after its read, before applying the others, and a changed host (no agent to ask) after its changes, before the run disconnects; plan closes each after its read', async () => {
    writeFileSync(join(dir, 'out', 'n1.txt'), 'n1 of s1\n');
    const events: string[] = [];
    await runApply(options({ connect: recordingEvents(events) }), (title) => events.push(`phase ${title}`));
    // (The run's last phase closes every connection again; a second close waits for the first.)
    expect(events.filter((e) => e.startsWith('n1')).slice(0, 2)).toEqual(['n1 exec', 'n1 close']);
    expect(events).not.toContain('n1 apply');
    expect(events.indexOf('n1 close')).toBeLessThan(events.indexOf('n2 apply'));
    expect(events.filter((e) => e.startsWith('n2'))).toEqual(['n2 exec', 'n2 apply', 'n2 close', 'n2 close']);
    expect(events.indexOf('n2 close')).toBeLessThan(events.indexOf('phase disconnect'));
    expect(readFileSync(join(dir, 'out', 'n2.txt'), 'utf8')).toBe('n2 of s1\n');

    events.length = 0;
    // One host at a time, so "closed after its read" and "closed at the end" differ in order.
    await runPlan(options({ connect: recordingEvents(events), concurrency: 1 }));
    expect(events.slice(0, 4)).toEqual(['n1 exec', 'n1 close', 'n2 exec', 'n2 close']);
    expect(events.filter((e) => e.endsWith('apply'))).toEqual([]);
  });
});

describe('probes that share the read\'s shell', () => {
  it('file, line, directory and command probes run without a subshell each, and still read right (hostile names, an `unless` that exits)', async () => {
    const odd = join(dir, 'out', "it's $(touch pwned) a `file`; x");
    writeFileSync(odd, 'kept\n');
    mkdirSync(join(dir, 'out', 'd'));
    writeFileSync(
      playbook,
      [
        'name: local',
        'resources:',
        `  - file: { path: ${JSON.stringify(odd)}, content: "kept\\n" }`,
        `  - line: { path: ${JSON.stringify(join(dir, 'out', 'conf'))}, line: "a=1" }`,
        `  - directory: { path: ${JSON.stringify(join(dir, 'out', 'd'))} }`,
        '  - command: { name: guarded, run: "false", unless: "exit 0" }',
        `  - command: { name: made, run: "false", creates: ${JSON.stringify(odd)} }`,
        '',
      ].join('\n'),
    );
    const plan = await runPlan(options());
    for (const host of plan.hosts) {
      // Only the line's file is missing: the file matches, the directory exists, both commands are guarded.
      expect(host.changes.map((c) => `${c.kind} ${c.action}`)).toEqual(['line create']);
    }
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(process.cwd(), 'pwned'))).toBe(false);
    const read = transports[0]!.calls.find((c) => c.kind === 'exec')!;
    expect(read.kind === 'exec' && read.command.includes('\n( ')).toBe(false);
  });
});

describe('facts are gathered when something uses them', () => {
  const reads = () => transports.map((t) => t.calls.find((c) => c.kind === 'exec')!).map((c) => (c.kind === 'exec' ? c.command : ''));

  it("a playbook of files, lines and commands reads the agent's version alone; then a plan still has zero changes", async () => {
    await runApply(options());
    expect(reads().length).toBeGreaterThan(0);
    for (const script of reads()) {
      expect(script).toContain('s agent;');
      expect(script).not.toContain('/proc/cpuinfo');
    }
    transports = [];
    const plan = await runPlan(options());
    expect(plan.hosts.map((h) => h.changes.length)).toEqual([0, 0]);
    expect(plan.election).toBeUndefined();
  });

  it('a template that reads a value derived from facts gets them all, and renders with them', async () => {
    writeFileSync(playbook, `name: local\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.txt')}", content: "{{qos.gridCpuPercent}} {{qos.cpuQuotaPercent}}\\n" }\n`);
    const plan = await runPlan(options());
    for (const script of reads()) expect(script).toContain('/proc/cpuinfo');
    const cores = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
    expect(plan.hosts[0]!.changes[0]).toMatchObject({ kind: 'file', action: 'create' });
    await runApply(options());
    const [percent, quota] = readFileSync(join(dir, 'out', 'n1.txt'), 'utf8').trim().split(' ').map(Number);
    expect(quota).toBe(percent! * cores);
  });

  it('a template that reads the bootstrap electorate gets them all too (a template may branch on it)', async () => {
    writeFileSync(playbook, `name: local\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.txt')}", content: "{{agent.bootstrap}}\\n" }\n`);
    await runPlan(options());
    expect(reads()).toHaveLength(2);
    for (const script of reads()) expect(script).toContain('/proc/cpuinfo');
  });

  it('a resource that does not say it ignores facts gets them all', async () => {
    writeFileSync(playbook, `name: local\nresources:\n  - package: { names: [gridops-no-such-package] }\n`);
    // The package is not installable here, so the plan may fail after the read: the read is what is checked.
    await runPlan(options()).catch(() => undefined);
    expect(reads()).toHaveLength(2);
    for (const script of reads()) expect(script).toContain('/proc/cpuinfo');
  });
});

describe('a saved plan', () => {
  it('made with a relative --playbook path applies from another directory (the plan names it absolutely)', async () => {
    const cwd = process.cwd();
    let saved: Plan;
    try {
      process.chdir(dir);
      saved = await runPlan(options({ playbooks: [`./${relative(dir, playbook)}`] }));
    } finally {
      process.chdir(cwd);
    }
    expect(saved.playbooks).toEqual([playbook]);
    expect(saved.adHocPlaybooks).toBe(true);
    const result = await runApply(options({ savedPlan: saved, playbooks: saved.playbooks }));
    expect(result.hosts.every((h) => h.status === 'applied')).toBe(true);
  });

  it('is refused when a host drifted since, and nothing is changed', async () => {
    const saved = await runPlan(options());
    writeFileSync(join(dir, 'out', 'n1.txt'), 'changed behind our back\n');
    await expect(runApply(options({ savedPlan: saved }))).rejects.toBeInstanceOf(StalePlanError);
    expect(existsSync(join(dir, 'out', 'n2.txt'))).toBe(false);
  });
});

describe('phases on their own', () => {
  it('the manager skips what should not run, and on a failure cleans up what ran, newest first', async () => {
    const seen: string[] = [];
    const phase = (title: string, extra: Partial<Phase> = {}): Phase => ({ title, run: async () => void seen.push(title), cleanUp: async () => void seen.push(`undo ${title}`), ...extra });
    const ctx = new RunContext(options());
    const boom = phase('c', { run: async () => Promise.reject(new Error('boom')) });
    await expect(runPhases([phase('a'), phase('b', { shouldRun: () => false }), phase('d'), boom, phase('e')], ctx)).rejects.toThrow('boom');
    expect(seen).toEqual(['a', 'd', 'undo c', 'undo d', 'undo a']);
  });

  it('the manager times each phase that ran, and hands the profile over at the end, also on a failure', async () => {
    const phase = (title: string, ms: number, extra: Partial<Phase> = {}): Phase => ({ title, run: () => new Promise((resolve) => setTimeout(resolve, ms)), ...extra });
    let handed: RunContext['profile'] | undefined;
    const ctx = new RunContext({ ...options(), onProfile: (p) => (handed = p) });
    const boom = phase('c', 0, { run: async () => Promise.reject(new Error('boom')) });
    await expect(runPhases([phase('a', 30), phase('b', 0, { shouldRun: () => false }), boom], ctx)).rejects.toThrow('boom');
    expect(handed).toBe(ctx.profile);
    expect(ctx.profile.phases.map((p) => p.title)).toEqual(['a', 'c']);
    expect(ctx.profile.phases[0]!.ms).toBeGreaterThanOrEqual(25);
    ctx.profile.host('n1', 'connect', 10);
    ctx.profile.host('n2', 'connect', 90);
    ctx.profile.host('n1', 'read', 5);
    expect(ctx.profile.startupMs).toBeGreaterThan(0);
    expect(ctx.profile.lines()).toEqual([
      `start-up (process start to the first phase): ${ctx.profile.startupMs} ms`,
      `phase a: ${ctx.profile.phases[0]!.ms} ms`,
      `phase c: ${ctx.profile.phases[1]!.ms} ms`,
      'hosts connect: 2 hosts, median 90 ms, p90 90 ms, max 90 ms (n2)',
      'hosts read: 1 hosts, median 5 ms, p90 5 ms, max 5 ms (n1)',
    ]);
  });

  it('lock the state: a second run on the same grid is refused while the first holds it', async () => {
    const first = new RunContext(options());
    first.setGrid(gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n'), { state: join(dir, 's.json'), lock: join(dir, 'g.lock'), gridKey: join(dir, 'k'), planDigestKey: join(dir, 'd') });
    await lockState.run(first);
    const second = new RunContext(options());
    second.setGrid(first.grid, first.paths);
    await expect(lockState.run(second)).rejects.toThrow(/lock/i);
    await lockState.cleanUp!(first);
    await lockState.run(second);
    await lockState.cleanUp!(second);
  });

  it('verify the overlay runs only after a complete apply on hosts with an agent', () => {
    const ctx = new RunContext(options());
    expect(verifyOverlay.shouldRun!(ctx)).toBe(false); // no agent among the planned hosts
    ctx.options.verify = false;
    expect(verifyOverlay.shouldRun!(ctx)).toBe(false);
  });

  it("the grid's workflow is chosen by the topology: node-base, qos, agent, then its own playbooks", () => {
    const grid = gridOf('playbooks: [site]\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n');
    expect(gridPlaybooks(grid, grid.regions[0]!.subgrids[0]!.nodes[0]!)).toEqual(['node-base', 'qos', 'agent', 'site']);
  });
});

describe('a second Ctrl-C', () => {
  it('exits at once and still lets go of the lock (an exit hook removes it)', async () => {
    const { spawnSync } = await import('node:child_process');
    const root = new URL('../../', import.meta.url).pathname;
    const lock = join(dir, 'g.lock');
    // What interruptOnSignals does on the second Ctrl-C: process.exit(130) while the lock is held.
    const script = `
      import { lockState } from '${root}dist/phases/lock-state.js';
      import { RunContext } from '${root}dist/phases/run-context.js';
      const ctx = new RunContext({ topologyFile: 'g.yaml', concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
      ctx.setGrid({ name: 'g' }, { state: '${join(dir, 's.json')}', lock: '${lock}', gridKey: '' });
      await lockState.run(ctx);
      console.log('locked');
      process.exit(130);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout).toContain('locked');
    expect(r.status).toBe(130);
    expect(existsSync(lock)).toBe(false);
  });
});


describe('growing and shrinking', () => {
  const twoSubgrids = `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2 }
      - name: s2
        nodes:
          - { name: n3, address: 10.0.0.3 }
`;

  it('a node the topology dropped is planned for decommission with the reset playbook, and forgotten', async () => {
    await runApply(options());
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('          - { name: n2, address: 10.0.0.2 }\n', ''));
    // The grid's own workflow (node-base, qos, agent, reset) must never run on the test machine: probes
    // (read-only) run locally, but a batch only answers its markers, as if every step succeeded.
    const stubbed = async (node: { name: string }) => (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    // Decommissioning is part of the grid's own workflow (no --playbook).
    const plan = await runPlan(options({ playbooks: undefined, connect: stubbed }));
    const n2 = plan.hosts.find((h) => h.host === 'n2')!;
    expect(n2).toMatchObject({ decommission: true, playbooks: ['reset'], address: '10.0.0.2' });
    await runApply(options({ playbooks: undefined, connect: stubbed, verify: false }));
    const state = JSON.parse(readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8'));
    expect(Object.keys(state.hosts)).not.toContain('n2');
  });

  it('with no ssh.user in the topology, a login user from ~/.ssh/config other than root gets sudo (become), root none', async () => {
    for (const [loginUser, become] of [['deploy', true], ['root', false]] as const) {
      transports = [];
      const asUser = async (node: Node) => Object.assign(await connect(node), { loginUser });
      await runPlan(options({ connect: asUser }));
      expect(transports.map((t) => t.calls.every((c) => c.kind !== 'exec' || c.become === become))).toEqual([true, true]);
      expect(transports.every((t) => t.calls.some((c) => c.kind === 'exec'))).toBe(true);
    }
  });

  it('a node whose hypervisor.enabled became false runs hypervisor-off in the hypervisor playbook\'s place, once', async () => {
    const stubbed = async (node: { name: string }) => (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    await runApply(options({ playbooks: undefined, connect: stubbed, verify: false }));
    // As if n1's last apply had hypervisor.enabled (the hypervisor playbook cannot run on the test machine).
    const stateFile = join(dir, '.gridops', 'g.state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    state.hosts.n1.playbooks = ['node-base', 'hypervisor', 'qos', 'agent'];
    writeFileSync(stateFile, JSON.stringify(state));
    const said: string[] = [];
    const plan = await runPlan(options({ playbooks: undefined, connect: stubbed, progress: (m) => said.push(m) }));
    expect(plan.hosts.find((h) => h.host === 'n1')!.playbooks).toEqual(['node-base', 'hypervisor-off', 'qos', 'agent']);
    expect(plan.hosts.find((h) => h.host === 'n2')!.playbooks).toEqual(['node-base', 'qos', 'agent']);
    expect(said).toContain('n1: hypervisor.enabled is now false, so the sandbox VM, its network and pool go (playbook hypervisor-off, with --replace-sandbox; libvirt stays installed)');
    await runApply(options({ playbooks: undefined, connect: stubbed, verify: false }));
    // Recorded as the workflow it now is: the next run has no hypervisor-off, and status calls it in sync.
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).hosts.n1.playbooks).toEqual(['node-base', 'qos', 'agent']);
    expect((await runPlan(options({ playbooks: undefined, connect: stubbed }))).hosts.find((h) => h.host === 'n1')!.playbooks).toEqual(['node-base', 'qos', 'agent']);
  });

  it('a grid network renamed since gridops made it is replaced in any run of the hypervisor playbook: the grid\'s workflow and `--playbook hypervisor` alike; a run without it is left alone', async () => {
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('metadata: { name: g }\n', `metadata: { name: g }\ndefaults: { hypervisor: { enabled: true, sandbox: { network: grid-b, image: ${join(dir, 'sandbox.img')} } } }\n`));
    writeFileSync(join(dir, 'sandbox.img'), 'an image');
    const stateFile = join(dir, '.gridops', 'g.state.json');
    mkdirSync(join(dir, '.gridops'), { recursive: true });
    const made = { topologyHash: 'x', playbooks: ['node-base', 'hypervisor', 'qos', 'agent'], gridopsVersion: '0', agentVersion: null, appliedAt: '', changesApplied: 0, lastOutcome: 'applied', sandboxMade: { network: 'grid-net' } };
    writeFileSync(stateFile, JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: made, n2: { ...made, sandboxMade: { network: 'grid-b' } } } }));
    const firstPhases = async (playbooks: string[] | undefined) => {
      const ctx = new RunContext(options({ playbooks }));
      await runPhases(PLAN_PHASES.slice(0, PLAN_PHASES.findIndex((p) => p.title === 'find renamed grid networks') + 1), ctx);
      return { n1: ctx.workflow.byNode.get('n1')!.map((p) => p.ref), n2: ctx.workflow.byNode.get('n2')!.map((p) => p.ref), renames: [...ctx.networkRenames] };
    };
    expect(await firstPhases(['hypervisor'])).toEqual({ n1: ['grid-network-rename', 'hypervisor'], n2: ['hypervisor'], renames: [['n1', { from: 'grid-net', to: 'grid-b' }]] });
    // A node whose hypervisor is now off: `--playbook hypervisor` skips it (onlyWhere), and so does the rename.
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('- { name: n1, address: 10.0.0.1 }', '- { name: n1, address: 10.0.0.1, hypervisor: { enabled: false } }'));
    expect(await firstPhases(['hypervisor'])).toEqual({ n1: ['hypervisor'], n2: ['hypervisor'], renames: [] });
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('- { name: n1, address: 10.0.0.1, hypervisor: { enabled: false } }', '- { name: n1, address: 10.0.0.1 }'));
    expect((await firstPhases(undefined)).n1).toEqual(['node-base', 'grid-network-rename', 'hypervisor', 'qos', 'agent']);
    expect(await firstPhases([playbook])).toEqual({ n1: [playbook], n2: [playbook], renames: [] });
  });

  it('a whole sub-grid, and a whole region, dropped: their nodes are decommissioned (the reset playbook needs nothing of the groups that are gone)', async () => {
    const twoRegions = `${twoSubgrids}  - name: r2\n    subgrids:\n      - name: s9\n        nodes:\n          - { name: n4, address: 10.0.0.4 }\n`;
    writeFileSync(topology, twoRegions);
    const stubbed = async (node: { name: string }) => (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    await runApply(options({ playbooks: undefined, connect: stubbed, verify: false }));
    // s2 (n3) and the region r2 (n4) go.
    writeFileSync(topology, twoSubgrids.replace('      - name: s2\n        nodes:\n          - { name: n3, address: 10.0.0.3 }\n', ''));
    const plan = await runPlan(options({ playbooks: undefined, connect: stubbed }));
    expect(plan.hosts.filter((h) => h.error).map((h) => [h.host, h.error])).toEqual([]);
    expect(plan.hosts.filter((h) => h.decommission).map((h) => h.host).sort()).toEqual(['n3', 'n4']);
    await runApply(options({ playbooks: undefined, connect: stubbed, verify: false }));
    expect(Object.keys(JSON.parse(readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8')).hosts).sort()).toEqual(['n1', 'n2']);
  });

  it('a rename that also moves the node from its DNS name to its address is a rename when the name resolves there, else a decommission', async () => {
    writeFileSync(topology, twoSubgrids.replace('{ name: n2, address: 10.0.0.2 }', '{ name: n2, address: n2.grid.test }'));
    const stubbed = async (node: { name: string }) => (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    await runApply(options({ playbooks: undefined, connect: stubbed, verify: false }));
    writeFileSync(topology, twoSubgrids.replace('{ name: n2, address: 10.0.0.2 }', '{ name: n9, address: 10.0.0.2 }'));
    const asked: string[] = [];
    const resolver = (answer: string[]) => async (name: string) => (asked.push(name), answer);
    const same = await runPlan(options({ playbooks: undefined, connect: stubbed, resolveHost: resolver(['10.0.0.2']) }));
    expect(asked).toEqual(['n2.grid.test']);
    expect(same.hosts.some((h) => h.decommission)).toBe(false);
    expect(same.hosts.find((h) => h.host === 'n9')).toMatchObject({ renamedFrom: ['n2'] });
    // The name now points elsewhere: another host, decommissioned as before.
    const other = await runPlan(options({ playbooks: undefined, connect: stubbed, resolveHost: resolver(['10.0.0.7']) }));
    expect(other.hosts.find((h) => h.host === 'n2')).toMatchObject({ decommission: true, address: 'n2.grid.test' });
    // It does not resolve: gridops cannot tell, so it neither resets that host nor forgets it, and says so.
    const said: string[] = [];
    const unknown = await runPlan(options({ playbooks: undefined, connect: stubbed, resolveHost: resolver([]), progress: (m) => said.push(m) }));
    expect(unknown.hosts.find((h) => h.host === 'n2')).toBeUndefined();
    expect(said.find((m) => m.startsWith('warning: n2 (n2.grid.test)'))).toContain('cannot tell whether it was renamed (n2.grid.test did not resolve within 3 s): not decommissioned in this run');
    // The way out for a host gone for good, as a command to paste: this run's topology file, quoted.
    expect(said.find((m) => m.startsWith('warning: n2 (n2.grid.test)'))).toContain(`or, if it is gone for good, \`${sh(['gridops', 'state', 'rm', topology, 'n2'])}\` forgets it without contacting it`);
  });

  it('a DNS-to-address rename whose new name failed is still a rename in the next run: the old name is never reset, and forgotten once the new one applied', async () => {
    writeFileSync(topology, twoSubgrids.replace('{ name: n2, address: 10.0.0.2 }', '{ name: n2, address: n2.grid.test }'));
    const stubbed = (failing?: string) => async (node: { name: string }) =>
      (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => (node.name === failing ? { code: 1, stdout: '' } : { code: 0, stdout: dryRun(String(o.stdin)) }));
    await runApply(options({ playbooks: undefined, connect: stubbed(), verify: false }));
    writeFileSync(topology, twoSubgrids.replace('{ name: n2, address: 10.0.0.2 }', '{ name: n9, address: 10.0.0.2 }'));
    const resolveHost = async (name: string) => (name === 'n2.grid.test' ? ['10.0.0.2'] : []);
    const stateFile = join(dir, '.gridops', 'g.state.json');
    await expect(runApply(options({ playbooks: undefined, connect: stubbed('n9'), resolveHost, verify: false }))).rejects.toBeInstanceOf(ApplyFailedError);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).hosts.n9.lastOutcome).toBe('failed');
    // n9 has a record now, of a run that failed: n2 is still its old name, not a node to reset.
    transports = [];
    const again = await runPlan(options({ playbooks: undefined, connect: stubbed(), resolveHost }));
    expect(again.hosts.some((h) => h.decommission)).toBe(false);
    expect(again.hosts.find((h) => h.host === 'n9')).toMatchObject({ renamedFrom: ['n2'] });
    await runApply(options({ playbooks: undefined, connect: stubbed(), resolveHost, verify: false }));
    expect(transports.some((t) => t.name === 'n2')).toBe(false);
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).hosts).sort()).toEqual(['n1', 'n3', 'n9']);
  });

  it('a decommission whose host resolves to the address of a node still in the topology is refused before anything changes', async () => {
    writeFileSync(topology, twoSubgrids.replace('{ name: n2, address: 10.0.0.2 }', '{ name: n2, address: n2.grid.test }'));
    const stubbed = async (node: { name: string }) => (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    await runApply(options({ playbooks: undefined, connect: stubbed, verify: false }));
    // n9 at n2's address applied in a run that could not tell it was n2 (its name did not resolve then): both are in the state, n9 in sync.
    writeFileSync(topology, twoSubgrids.replace('{ name: n2, address: 10.0.0.2 }', '{ name: n2, address: n2.grid.test }\n          - { name: n9, address: 10.0.0.2 }'));
    await runApply(options({ playbooks: undefined, connect: stubbed, verify: false }));
    writeFileSync(topology, twoSubgrids.replace('{ name: n2, address: 10.0.0.2 }', '{ name: n9, address: 10.0.0.2 }'));
    const stateFile = join(dir, '.gridops', 'g.state.json');
    const before = readFileSync(stateFile, 'utf8');
    transports = [];
    const refused = runApply(options({ playbooks: undefined, connect: stubbed, resolveHost: async () => ['10.0.0.2'], verify: false }));
    await expect(refused).rejects.toThrow('refusing to decommission n2 (n2.grid.test): it resolves to 10.0.0.2, the address of n9, which the topology still has');
    await expect(refused).rejects.toMatchObject({ hint: `if n2 is n9's host under its old name, \`gridops state rm ${topology} n2\` forgets it without contacting it; if the name points at the wrong host, fix its DNS and run again` });
    expect(transports).toEqual([]);
    expect(readFileSync(stateFile, 'utf8')).toBe(before);
  });

  it('a node renamed at the same address (and port) is not decommissioned: the plan says so, the new name is applied, the old name forgotten', async () => {
    writeFileSync(topology, twoSubgrids);
    await runApply(options());
    // n2 renamed n9, and moved to the other sub-grid: the same host, with the usual changes.
    writeFileSync(topology, twoSubgrids.replace('          - { name: n2, address: 10.0.0.2 }\n', '').replace('{ name: n3, address: 10.0.0.3 }', '{ name: n3, address: 10.0.0.3 }\n          - { name: n9, address: 10.0.0.2 }'));
    const batches = new Map<string, number>();
    const stubbed = (failing?: string) => async (node: { name: string }) =>
      (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => {
        batches.set(node.name, (batches.get(node.name) ?? 0) + 1);
        return node.name === failing ? { code: 1, stdout: '' } : { code: 0, stdout: dryRun(String(o.stdin)) };
      });
    const plan = await runPlan(options({ playbooks: undefined, connect: stubbed() }));
    expect(plan.hosts.some((h) => h.decommission)).toBe(false);
    expect(plan.hosts.find((h) => h.host === 'n9')).toMatchObject({ renamedFrom: ['n2'], address: '10.0.0.2' });
    expect(renderPlan(plan).split('\n')).toContain('n2 → n9 (10.0.0.2): renamed, not decommissioned');
    const stateFile = join(dir, '.gridops', 'g.state.json');

    // The new name's apply fails: the old record stays, and the next run sees the rename again.
    await expect(runApply(options({ playbooks: undefined, connect: stubbed('n9'), verify: false }))).rejects.toBeInstanceOf(ApplyFailedError);
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).hosts).sort()).toEqual(['n1', 'n2', 'n3', 'n9']);
    batches.clear();
    await runApply(options({ playbooks: undefined, connect: stubbed(), verify: false }));
    expect(batches.has('n2')).toBe(false); // no reset ran anywhere under the old name
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).hosts).sort()).toEqual(['n1', 'n3', 'n9']);
    const after = await runPlan(options({ playbooks: undefined, connect: stubbed() }));
    expect(after.hosts.some((h) => h.decommission || h.renamedFrom)).toBe(false);
  });

  it('a renamed node whose old name ran the agent: the agent leaves under the old name first, once; a node without one has no leave', async () => {
    writeFileSync(topology, twoSubgrids);
    await runApply(options());
    const stateFile = join(dir, '.gridops', 'g.state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    state.hosts.n2.agentVersion = '1.0.0'; // n2 ran the agent
    writeFileSync(stateFile, JSON.stringify(state));
    writeFileSync(topology, twoSubgrids.replace('{ name: n2, address: 10.0.0.2 }', '{ name: n9, address: 10.0.0.2 }').replace('{ name: n1, address: 10.0.0.1 }', '{ name: n7, address: 10.0.0.1 }'));
    // The agent's config is a file of the test directory: the leave's guard reads it there.
    const config = join(dir, 'agent-config.yaml');
    const n9Batches: string[] = [];
    const here = (text: string) => text.replace(/\[ -e \/etc\/gridagent\/config\.yaml \] \|\| grep -qxF (.+?) \/etc\/gridagent\/config\.yaml/g, (_, line: string) => `[ -e ${config} ] || grep -qxF ${line} ${config}`);
    const stubbed = async (node: { name: string }) => {
      const t = new RecordingTransport(node.name)
        .on(/[\s\S]*/, (command, { options: o }) => local.exec(here(command), { stdin: typeof o.stdin === 'string' ? here(o.stdin) : o.stdin }))
        // The last responder that matches answers: a batch only answers its markers, as if every step succeeded.
        .on(/^sh -s$/, (_command, { options: o }) => {
          if (node.name === 'n9') n9Batches.push(String(o.stdin));
          return { code: 0, stdout: dryRun(String(o.stdin)) };
        });
      transports.push(t);
      return t;
    };
    const changesOf = (plan: Plan, host: string) => plan.hosts.find((h) => h.host === host)!.changes.map((c) => c.id);

    writeFileSync(config, 'node: "n2"\n');
    const plan = await runPlan(options({ playbooks: undefined, connect: stubbed }));
    const workflow = plan.hosts.find((h) => h.host === 'n7')!.playbooks;
    expect(plan.hosts.find((h) => h.host === 'n9')).toMatchObject({ renamedFrom: ['n2'], playbooks: ['agent-rename', ...workflow] });
    const n9 = changesOf(plan, 'n9');
    expect(n9[0]).toBe('command leave-under-old-name');
    expect(n9.indexOf('file /etc/gridagent/config.yaml')).toBeGreaterThan(0);
    expect(renderPlan(plan)).toContain('leave-under-old-name');
    // n1 renamed n7 never ran the agent: nothing to leave.
    expect(plan.hosts.find((h) => h.host === 'n7')).toMatchObject({ renamedFrom: ['n1'] });
    expect(changesOf(plan, 'n7')).not.toContain('command leave-under-old-name');
    expect(plan.hosts.find((h) => h.host === 'n7')!.playbooks).not.toContain('agent-rename');

    // A re-run after the new agent started under the new name (the run failed later): no leave again.
    writeFileSync(config, 'node: "n9"\n');
    const rerun = await runPlan(options({ playbooks: undefined, connect: stubbed }));
    expect(rerun.hosts.find((h) => h.host === 'n9')!.renamedFrom).toEqual(['n2']);
    expect(changesOf(rerun, 'n9')).not.toContain('command leave-under-old-name');

    // Once the rename is applied, the old name is forgotten, and the workflow recorded is the grid's own.
    writeFileSync(config, 'node: "n2"\n');
    await runApply(options({ playbooks: undefined, connect: stubbed, verify: false }));
    // The batch leaves first, and the new config comes after: its restart starts the fresh agent under the new name.
    const batch = n9Batches.join('\n');
    expect(batch.indexOf('gridagent leave')).toBeGreaterThan(-1);
    // The last mention of the config is its write: the leave's own step names it before the leave, in its `unless` checked again.
    expect(batch.indexOf('gridagent leave')).toBeLessThan(batch.lastIndexOf('/etc/gridagent/config.yaml'));
    const after = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(Object.keys(after.hosts).sort()).toEqual(['n3', 'n7', 'n9']);
    expect(after.hosts.n9.playbooks).toEqual(workflow);
    const next = await runPlan(options({ playbooks: undefined, connect: stubbed }));
    expect(next.hosts.find((h) => h.host === 'n9')!.playbooks).not.toContain('agent-rename');
  });

  it('two dropped names at one address are both the renamed node; another port or jump host is another host, decommissioned', async () => {
    const grid = await loadTopology(topology);
    const nodes = [grid.regions[0]!.subgrids[0]!.nodes[0]!];
    const n1 = nodes[0]!;
    const record = (address: string, port = 22, jumpHost?: string) => ({ address, region: 'r1', subgrid: 's1', user: 'root', port, settings: { ...n1.settings, ssh: { ...n1.settings.ssh, port, jumpHost } } });
    expect(renamedTo(nodes, record('10.0.0.1'))?.name).toBe('n1');
    expect(renamedTo(nodes, record('::ffff:10.0.0.1'))?.name).toBe('n1');
    expect(renamedTo(nodes, record('10.0.0.1', 2222))).toBeUndefined();
    expect(renamedTo(nodes, record('10.0.0.1', 22, 'ops@bastion'))).toBeUndefined();
    expect(renamedTo(nodes, { address: '10.0.0.1', region: 'r9', subgrid: 's9', user: 'ops', port: 22 })?.name).toBe('n1'); // an older state: address and port decide

    await runApply(options());
    const stateFile = join(dir, '.gridops', 'g.state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    state.hosts.n0 = { ...state.hosts.n1, node: { ...state.hosts.n1.node, address: '10.0.0.1.' } };
    state.hosts.n8 = { ...state.hosts.n1, node: { ...state.hosts.n1.node } };
    writeFileSync(stateFile, JSON.stringify(state));
    const stubbed = async (node: { name: string }) => (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    const plan = await runPlan(options({ playbooks: undefined, connect: stubbed }));
    expect(plan.hosts.find((h) => h.host === 'n1')!.renamedFrom).toEqual(['n0', 'n8']);
    expect(plan.hosts.some((h) => h.decommission)).toBe(false);
    await runApply(options({ playbooks: undefined, connect: stubbed, verify: false }));
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).hosts).sort()).toEqual(['n1', 'n2']);
  });

  it('two old names of one host: its record is the newest, whatever order the state lists them in', () => {
    const host = (lastRunAt: string | undefined, appliedAt: string) => ({ topologyHash: '', playbooks: [], gridopsVersion: '', agentVersion: null, appliedAt, changesApplied: 0, lastOutcome: 'applied' as const, ...(lastRunAt ? { lastRunAt } : {}) });
    const renamed = new Map([['n0', 'n1'], ['n8', 'n1']]);
    const newer = host('2026-12-04T10:00:00.000Z', '2026-12-04T10:00:00.000Z');
    const older = host('2026-12-01T10:00:00.000Z', '2026-12-01T10:00:00.000Z');
    expect(recordOf({ hosts: { n0: older, n8: newer } } as never, 'n1', renamed)).toBe(newer);
    expect(recordOf({ hosts: { n0: newer, n8: older } } as never, 'n1', renamed)).toBe(newer);
    // A state written before runs were recorded: its last success decides.
    const oldStyle = host(undefined, '2026-12-05T10:00:00.000Z');
    expect(recordOf({ hosts: { n0: newer, n8: oldStyle } } as never, 'n1', renamed)).toBe(oldStyle);
    expect(recordOf({ hosts: { n1: older, n0: newer } } as never, 'n1', renamed)).toBe(older); // its own name first
  });

  it('a --limit or --site run does not decommission, and says which node it leaves to a full apply (a rename is not one)', async () => {
    writeFileSync(topology, twoSubgrids);
    await runApply(options());
    const state = JSON.parse(readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8'));
    state.hosts.n8 = { ...state.hosts.n1, node: { ...state.hosts.n1.node } }; // n1 renamed: not mentioned
    writeFileSync(join(dir, '.gridops', 'g.state.json'), JSON.stringify(state));
    writeFileSync(topology, twoSubgrids.replace('          - { name: n2, address: 10.0.0.2 }\n', ''));
    const stubbed = async (node: { name: string }) => (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    const runs: Array<[Partial<ApplyOptions>, string]> = [[{ limit: ['n1'] }, '--limit'], [{ site: 's2' }, '--site']];
    for (const [flags, flag] of runs) {
      const said: string[] = [];
      const plan = await runPlan(options({ playbooks: undefined, connect: stubbed, progress: (m) => said.push(m), ...flags }));
      expect(plan.hosts.some((h) => h.decommission)).toBe(false);
      expect(said).toContain(`n2 is in the state but not the topology: not decommissioned in a ${flag} run; a full apply removes it`);
      expect(said.filter((m) => m.includes('n8'))).toEqual([]);
    }
  });

  it("a dropped node that cannot be reached does not hold the grid back: the topology's nodes are applied, it stays in the state, and the error says how to forget it", async () => {
    await runApply(options());
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('          - { name: n2, address: 10.0.0.2 }\n', ''));
    const hostGone = async (node: { name: string }) => {
      if (node.name === 'n2') throw new ConnectionError('n2', 'cannot connect to 10.0.0.2:22 after 2 attempts: connect ECONNREFUSED 10.0.0.2:22', 'check that the host is up and sshd listens on that port');
      return (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    };
    const forget = `\`gridops state rm ${topology} n2\` forgets it without contacting it`;
    const plan = await runPlan(options({ playbooks: undefined, connect: hostGone }));
    const n2 = plan.hosts.find((h) => h.host === 'n2')!;
    expect(n2).toMatchObject({ decommission: true, error: { kind: 'unreachable', hint: `check that the host is up and sshd listens on that port; or, if n2 is gone for good, ${forget}` } });
    expect(renderPlan(plan)).toContain('n2 (10.0.0.2) DECOMMISSION, not reached: it stays in the state, and the next apply tries again');

    const err = await runApply(options({ playbooks: undefined, connect: hostGone, verify: false })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyFailedError);
    expect((err as Error).message).toBe('1 host unreachable: n2, to be decommissioned, was not reached and stays in the state: the next apply tries again');
    expect((err as ApplyFailedError).hint).toBe(`if n2 is gone for good, ${forget}; otherwise bring it back and run apply again`);
    const { result } = err as ApplyFailedError & { result: ApplyResult };
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([['n1', 'applied']]);
    const stateFile = join(dir, '.gridops', 'g.state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(Object.keys(state.hosts).sort()).toEqual(['n1', 'n2']);
    expect(state.hosts.n1).toMatchObject({ lastOutcome: 'applied', playbooks: ['node-base', 'qos', 'agent'] });

    // Gone for good: forgotten without contacting it, the next apply has nothing of it left to do.
    const grid = await loadTopology(topology);
    await forgetNodes(grid, statePaths(topology, grid.name), ['n2'], 'test');
    const clean = await runApply(options({ playbooks: undefined, connect: hostGone, verify: false }));
    expect(clean.unreachable).toEqual([]);
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).hosts)).toEqual(['n1']);
  });

  it('a dropped node whose host key is refused still stops the run before any change; the hint says how to forget it', async () => {
    await runApply(options());
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('          - { name: n2, address: 10.0.0.2 }\n', ''));
    const keyChanged = async (node: { name: string }) => {
      if (node.name === 'n2') throw new HostKeyError('n2', 'the ssh-ed25519 host key of 10.0.0.2 has CHANGED', 'if the host was reinstalled, remove its old key');
      return connect(node);
    };
    const stateFile = join(dir, '.gridops', 'g.state.json');
    const stateBefore = readFileSync(stateFile, 'utf8');
    transports = [];
    const err = await runApply(options({ playbooks: undefined, connect: keyChanged, verify: false })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).message).toBe('n2: the ssh-ed25519 host key of 10.0.0.2 has CHANGED');
    expect((err as HostKeyError).hint).toBe(`if the host was reinstalled, remove its old key; or, n2 is being decommissioned: if its host was reinstalled or is gone for good, \`gridops state rm ${topology} n2\` forgets it without contacting it`);
    // Refused before any change: n1 was read (one exec), never written to, and the state is as it was.
    expect(transports.map((t) => [t.name, t.transcript().length])).toEqual([['n1', 1]]);
    expect(readFileSync(stateFile, 'utf8')).toBe(stateBefore);
  });

  it("a dropped node whose recorded identity file is gone: reported alone as not reached, and the run goes on (over SSH, no host needed)", async () => {
    writeFileSync(join(dir, 'known_hosts'), '');
    const key = (name: string) => writeKey(join(dir, name)).file;
    // n1's port was just free: nothing listens there, so its connect is refused at once.
    const defaults = `port: ${await freePort()}, knownHosts: ${join(dir, 'known_hosts')}, identityFile: ${key('id_n1')}`;
    const n1 = '{ name: n1, address: 127.0.0.1 }';
    writeFileSync(topology, oneSubgridTopology(defaults, [n1, `{ name: n2, address: 127.0.0.2, ssh: { identityFile: ${key('id_n2')} } }`]));
    await runApply(options());
    writeFileSync(topology, oneSubgridTopology(defaults, [n1]));
    rmSync(join(dir, 'id_n2'));
    // No injected transports: the fleet's own pre-flight, then SSH (n1's port refuses at once).
    const err = await runApply(options({ playbooks: undefined, connect: undefined, verify: false })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyFailedError);
    const { result } = err as ApplyFailedError & { result: ApplyResult };
    expect(result.unreachable.find((u) => u.host === 'n2')!.error).toBe(`cannot read its identity file ${join(dir, 'id_n2')} (ENOENT), named by the state's record of its last apply; not contacted`);
    expect(result.unreachable.find((u) => u.host === 'n1')!.error).toMatch(/ECONNREFUSED/);
    expect((err as ApplyFailedError).hint).toContain(`if n2 is gone for good, \`gridops state rm ${topology} n2\``);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8')).hosts).sort()).toEqual(['n1', 'n2']);
  });

  it('verify still runs when the only hosts not reached were being decommissioned', () => {
    const ctx = new RunContext(options());
    ctx.planned = [{ session: { node: { name: 'n1' }, facts: { agentVersion: '0.1.0' } }, managedUnits: [] } as unknown as RunContext['planned'][number]];
    ctx.unreachable = [{ node: { name: 'n2' } as Node, error: new ConnectionError('n2', 'refused') }];
    expect(verifyOverlay.shouldRun!(ctx)).toBe(false); // a host of the grid was not reached: half-applied
    ctx.recordedOnly.add('n2');
    expect(verifyOverlay.shouldRun!(ctx)).toBe(true);
  });

  // connect-and-read hands a decommissioned node no recorded playbook entries: `reset` removes every
  // gridops kernel file by its own glob, and a sweep of retired entries besides would list them twice.
  it("a dropped node's recorded playbook entries are not swept besides its reset; a kept node's retired ones are", async () => {
    await runApply(options());
    const stateFile = join(dir, '.gridops', 'g.state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    const file = sysctlFile('net.gridops.decommission_test');
    // Recorded for a playbook the grid's workflow no longer runs: a workflow run retires its entries.
    for (const name of ['n1', 'n2']) state.hosts[name].kernelEntries = { [join(dir, 'pb', 'gone.yaml')]: { sysctl: ['net.gridops.decommission_test'], modules: [] } };
    writeFileSync(stateFile, JSON.stringify(state));
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('          - { name: n2, address: 10.0.0.2 }\n', ''));
    // Each node a host whose kernel directories live under a root of its own, holding that file.
    const roots = new Map(['n1', 'n2'].map((name) => [name, hostRoot(dir, { [file.slice(1)]: 'net.gridops.decommission_test = 1\n' })]));
    const rootedConnect = async (node: { name: string }) => ({ ...rooted(roots.get(node.name)!, []), name: node.name });
    const plan = await runPlan(options({ playbooks: undefined, connect: rootedConnect }));
    const naming = (host: string) => plan.hosts.find((h) => h.host === host)!.changes.filter((c) => JSON.stringify(c).includes(file));
    expect(plan.hosts.find((h) => h.host === 'n2')).toMatchObject({ decommission: true, playbooks: ['reset'] });
    expect(naming('n2')).toHaveLength(1); // reset's own removal, not a second one
    expect(naming('n1')).toHaveLength(1); // the retired entry's file
  });

  it('a dropped node is decommissioned with the settings it was applied with, not another node\'s', async () => {
    const own = '          - { name: n2, address: 10.0.0.2, ssh: { port: 2202, jumpHost: "ops@bastion-2:2222", connectTimeout: 3s }, hypervisor: { sandbox: { network: n2-net } } }\n';
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('          - { name: n2, address: 10.0.0.2 }\n', own));
    await runApply(options());
    writeFileSync(topology, readFileSync(topology, 'utf8').replace(own, ''));
    const reached = new Map<string, Node>();
    const stubbed = async (node: Node) => {
      reached.set(node.name, node);
      return (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    };
    const said: string[] = [];
    await runPlan(options({ playbooks: undefined, connect: stubbed, progress: (m) => said.push(m) }));
    const n2 = reached.get('n2')!;
    expect(n2.settings.ssh).toMatchObject({ port: 2202, jumpHost: 'ops@bastion-2:2222', connectTimeoutMs: 3000, become: false });
    expect(n2.settings.hypervisor.sandbox.network).toBe('n2-net');
    expect(reached.get('n1')!.settings.ssh.port).toBe(22);
    expect(said.filter((m) => m.startsWith('warning:'))).toEqual([]);
  });

  it("a dropped node's recorded agent.keyFile does not count: the grid's key moved in the same run", async () => {
    writeFileSync(join(dir, 'old.key'), `${'a'.repeat(64)}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'new.key'), `${'b'.repeat(64)}\n`, { mode: 0o600 });
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('regions:', `defaults: { agent: { keyFile: ${join(dir, 'old.key')} } }\nregions:`));
    await runApply(options());
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('old.key', 'new.key').replace('          - { name: n2, address: 10.0.0.2 }\n', ''));
    const stubbed = async (node: Node) => (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    const plan = await runPlan(options({ playbooks: undefined, connect: stubbed }));
    expect(plan.hosts.find((h) => h.host === 'n2')).toMatchObject({ decommission: true });
  });

  it("a dropped node is reached as it was applied: the SSH settings the topology wrote still win over ~/.ssh/config, the others still come from it", async () => {
    writeFileSync(topology, twoSubgrids.replace('{ name: n2, address: 10.0.0.2 }', '{ name: n2, address: 10.0.0.2, ssh: { user: ops, port: 2202, become: false } }'));
    await runApply(options());
    const state = JSON.parse(readFileSync(join(dir, '.gridops', 'g.state.json'), 'utf8'));
    expect(state.hosts.n2.node.sshWritten).toEqual(['user', 'port', 'become']);
    expect(state.hosts.n1.node.sshWritten).toEqual([]);
    writeFileSync(topology, twoSubgrids.replace('          - { name: n2, address: 10.0.0.2 }\n', ''));
    const grid = await loadTopology(topology);
    const sshConfig = { user: 'deploy', port: 2222, identityFiles: ['/home/deploy/.ssh/id_ed25519'] };
    const { node: n2 } = removedNode(grid, 'n2', state.hosts.n2.node);
    expect(connectionTarget(n2, sshConfig)).toMatchObject({ user: 'ops', port: 2202, identityFiles: ['/home/deploy/.ssh/id_ed25519'], fromSshConfig: ['identityFile'] });
    // Its reset runs without sudo, as the topology said, though it logs in as a user other than root.
    expect(becomeFor(n2, { loginUser: 'ops' })).toBe(false);
    // A record without the list (an older gridops): ~/.ssh/config wins, as it did for such a node before.
    const { sshWritten: _, ...older } = state.hosts.n2.node;
    expect(connectionTarget(removedNode(grid, 'n2', older).node, sshConfig)).toMatchObject({ user: 'deploy', port: 2222 });
  });

  it('a dropped node recorded by an older gridops (no settings in the state) borrows the nearest node\'s, and says so', async () => {
    writeFileSync(topology, twoSubgrids.replace('          - { name: n3, address: 10.0.0.3 }', '          - { name: n3, address: 10.0.0.3, ssh: { identityFile: /keys/s2 } }\n          - { name: n4, address: 10.0.0.4 }'));
    const grid = await loadTopology(topology);
    const { node, borrowedFrom } = removedNode(grid, 'n9', { address: '10.0.0.9', region: 'r1', subgrid: 's2', user: 'ops', port: 2209 });
    expect(borrowedFrom).toBe('n3');
    expect(node.settings.ssh).toMatchObject({ identityFile: '/keys/s2', user: 'ops', port: 2209, become: true });
    expect(removedNode(grid, 'n9', { address: '10.0.0.9', region: 'r9', subgrid: 's9', user: 'root', port: 22 }).borrowedFrom).toBe('n1');
  });

  it('--site applies only the new site, and refuses while an existing host has changes', async () => {
    writeFileSync(topology, twoSubgrids);
    await runApply(options({ limit: ['n1', 'n2'] }));
    const result = await runApply(options({ site: 'r1/s2' }));
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([
      ['n1', 'unchanged'],
      ['n2', 'unchanged'],
      ['n3', 'applied'],
    ]);
    // Applied already: not called new.
    const said: string[] = [];
    await runApply(options({ site: 'r1/s2', progress: (m) => said.push(m) }));
    expect(said).toContain('--site r1/s2: its nodes (n3) plan no change: not a new site, nothing to bootstrap');
    // An existing host drifted: the new site's apply refuses and changes nothing.
    writeFileSync(join(dir, 'out', 'n1.txt'), 'drifted\n');
    rmSync(join(dir, 'out', 'n3.txt'));
    await expect(runApply(options({ site: 'r1/s2' }))).rejects.toThrow(/existing hosts with planned changes: n1 \(1\)/);
    expect(existsSync(join(dir, 'out', 'n3.txt'))).toBe(false);
    expect(readFileSync(join(dir, 'out', 'n1.txt'), 'utf8')).toBe('drifted\n');
    // A site that is not there is a usage error before any connection, as a --limit typo is.
    const connections = transports.length;
    await expect(runApply(options({ site: 'r1s2' }))).rejects.toMatchObject({ exitCode: 64, hint: expect.stringContaining('did you mean "r1/s2"?') });
    expect(transports).toHaveLength(connections);
    // A sub-grid by its own name, as --limit takes it: the site is known, and n1's drift still refuses.
    await expect(runApply(options({ site: 's2' }))).rejects.toThrow(/--site s2 would leave these existing hosts with planned changes: n1 \(1\)/);
  });

  it('--site with an existing host down: the site is applied and the run succeeds; the host it could not check is named, in the progress and the summary (review B5)', async () => {
    writeFileSync(topology, twoSubgrids);
    await runApply(options({ limit: ['n1', 'n2'] }));
    const n2Down = async (node: { name: string }) => {
      if (node.name === 'n2') throw new ConnectionError('n2', 'cannot connect to 10.0.0.2:22 after 2 attempts: connect ECONNREFUSED 10.0.0.2:22', 'check that the host is up and sshd listens on that port');
      return connect(node);
    };
    const said: string[] = [];
    const result = await runApply(options({ site: 'r1/s2', connect: n2Down, progress: (m) => said.push(m) }));
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([
      ['n1', 'unchanged'],
      ['n3', 'applied'],
    ]);
    expect(readFileSync(join(dir, 'out', 'n3.txt'), 'utf8')).toBe('n3 of s2\n');
    expect(said).toContain('warning: could not check that the existing host n2 plans no change (not reached); this run does not touch it');
    expect(said).toContain('new site r1/s2: n3; the 1 other host plans no change and is not touched');
    expect(result.unreachable.map((u) => u.host)).toEqual(['n2']);
    expect(result.notChecked).toEqual(['n2']);
    expect(formatApplySummary(result).split('\n')).toContain('  UNREACHABLE n2 (outside the new site: not touched, not checked for changes): cannot connect to 10.0.0.2:22 after 2 attempts: connect ECONNREFUSED 10.0.0.2:22');
    // A host of the new site itself down is the run's failure, as in any apply (new: the state has no record of it;
    // once applied, it is an existing host of the site, not checked as n2 above: site-existing-nodes.test).
    rmSync(join(dir, 'out', 'n3.txt'));
    const stateFile = join(dir, '.gridops', 'g.state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    delete state.hosts.n3;
    writeFileSync(stateFile, JSON.stringify(state));
    const n3Down = async (node: { name: string }) => {
      if (node.name === 'n3') throw new ConnectionError('n3', 'cannot connect to 10.0.0.3:22: connect ECONNREFUSED 10.0.0.3:22');
      return connect(node);
    };
    await expect(runApply(options({ site: 'r1/s2', connect: n3Down }))).rejects.toThrow('1 host unreachable');
  });

  it('--site with a dropped node that cannot be reached: not decommissioned, so neither connected nor "not checked" (review 6)', async () => {
    writeFileSync(topology, twoSubgrids);
    await runApply(options({ limit: ['n1', 'n2'] }));
    writeFileSync(topology, twoSubgrids.replace('          - { name: n2, address: 10.0.0.2 }\n', ''));
    const reached: string[] = [];
    const n2Gone = async (node: { name: string }) => {
      reached.push(node.name);
      if (node.name === 'n2') throw new ConnectionError('n2', 'cannot connect to 10.0.0.2:22 after 2 attempts: connect ECONNREFUSED 10.0.0.2:22');
      return (await connect(node)).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    };
    const said: string[] = [];
    // The grid's own workflow (its dry run stubbed: n1 plans changes, allowed), up to the question, answered no.
    await expect(runApply(options({ playbooks: undefined, site: 'r1/s2', allowExistingChanges: true, connect: n2Gone, confirm: async () => false, progress: (m) => said.push(m) }))).rejects.toThrow(ConfirmationRefusedError);
    expect(reached).not.toContain('n2');
    expect(said).toContain('n2 is in the state but not the topology: not decommissioned in a --site run; a full apply removes it');
    expect(said.filter((m) => m.includes('could not check') || m.includes('decommissioning'))).toEqual([]);
  });

  it('--site: verify runs with an existing host down (its agent is not asked), not with a host of the site down (review B5)', () => {
    const ctx = new RunContext(options({ site: 'r1/s2' }));
    ctx.site = new Set(['n3']);
    ctx.planned = ['n1', 'n3'].map((name) => ({ session: { node: { name }, facts: { agentVersion: '0.1.0' } }, managedUnits: [] }) as unknown as RunContext['planned'][number]);
    ctx.unreachable = [{ node: { name: 'n2' } as Node, error: new ConnectionError('n2', 'refused') }];
    expect(verifyOverlay.shouldRun!(ctx)).toBe(true);
    // --allow-existing-changes widens the run to the existing hosts: one not reached was not applied.
    ctx.options.allowExistingChanges = true;
    expect(verifyOverlay.shouldRun!(ctx)).toBe(false);
    ctx.options.allowExistingChanges = false;
    ctx.unreachable.push({ node: { name: 'n3' } as Node, error: new ConnectionError('n3', 'refused') });
    expect(verifyOverlay.shouldRun!(ctx)).toBe(false);
  });
});
