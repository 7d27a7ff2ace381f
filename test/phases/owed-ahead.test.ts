import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApply } from '../../src/phases/apply.js';
import { runPlan } from '../../src/phases/plan.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { renderPlan } from '../../src/plan/render.js';
import { readState, statePaths } from '../../src/state/state.js';
import type { ExecOptions, ExecResult } from '../../src/transport/transport.js';
import { LocalTransport } from '../../src/transport/local-transport.js';

/**
 * A run killed outright mid-apply (SIGKILL, power loss, a second Ctrl-C) records no outcome: the
 * handlers its batches owed a host must already be in the state file, written ahead of the batch,
 * or a config file written by the batch is never followed by its restart. Real files in a temp
 * directory, read and changed through a local shell; the "killed" host's batch makes its change
 * and then never returns, as a process that died leaves it.
 */
let dir: string;
let topology: string;
let out: string;
/** Set to make n1's batch write the config and then hang forever (the run is dead from there on). */
let dieInBatch: (() => void) | undefined;

/** The local shell, except that a batch (the script that writes app.conf) can be made to die after its change. */
class DyingTransport extends LocalTransport {
  override async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (dieInBatch && command === 'sh -s' && options.stdin?.includes('app.conf') && options.stdin.includes('reloads')) {
      // The batch's change reaches the host, its handler never runs, and nothing comes back.
      writeFileSync(join(out, 'app.conf'), readFileSync(join(dir, 'want'), 'utf8'));
      dieInBatch();
      return new Promise<ExecResult>(() => undefined);
    }
    return super.exec(command, options);
  }
}

const connect = async (node: { name: string }) => new DyingTransport(node.name);
const options = (extra: Partial<ApplyOptions> = {}): ApplyOptions => ({ topologyFile: topology, playbooks: [join(dir, 'app.yaml')], concurrency: 1, acceptNewHostKeys: false, progress: () => undefined, failFast: false, confirm: async () => true, emit: () => undefined, onPlan: () => undefined, connect, ...extra });
const stateFile = () => statePaths(topology, 'g').state;
const state = () => readState(stateFile(), 'g');

/** The playbook: one config file whose change notifies `reload`, and, with `plain`, a file that notifies nothing. */
function playbook(content: string, plain?: string): void {
  writeFileSync(join(dir, 'want'), `${content}\n`);
  writeFileSync(
    join(dir, 'app.yaml'),
    `name: app
resources:
  - file: { path: "${join(out, 'app.conf')}", content: "${content}\\n", notify: [reload] }
${plain === undefined ? '' : `  - file: { path: "${join(out, 'plain.conf')}", content: "${plain}\\n" }\n`}handlers:
  - { name: reload, run: "echo reload >> ${join(out, 'reloads')}" }
`,
  );
}

/** Starts an apply that dies in n1's batch; resolves once the batch is "dead" (its change made, its handler not run). */
async function killedApply(): Promise<void> {
  const dead = new Promise<void>((resolve) => (dieInBatch = resolve));
  void runApply(options()).catch(() => undefined);
  await dead;
  dieInBatch = undefined;
  // The dead process's lock, which the next run would take over as stale, is simply gone here.
  unlinkSync(statePaths(topology, 'g').lock);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-owed-ahead-'));
  out = join(dir, 'out');
  mkdirSync(out);
  topology = join(dir, 'grid.yaml');
  writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
  dieInBatch = undefined;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('handlers written ahead of a batch', () => {
  it('are in the state file while the batch runs, so a run killed there leaves them owed; the next plan shows them, the next apply runs them, then nothing is left', async () => {
    playbook('v1');
    await runApply(options());
    expect(readFileSync(join(out, 'reloads'), 'utf8')).toBe('reload\n');
    const before = await state();

    playbook('v2');
    await killedApply();
    // The config changed on the host, the handler never ran, and the run recorded nothing at its end.
    expect(readFileSync(join(out, 'app.conf'), 'utf8')).toBe('v2\n');
    expect(readFileSync(join(out, 'reloads'), 'utf8')).toBe('reload\n');
    const written = await state();
    expect(written.hosts.n1!.pendingHandlers).toEqual(['reload']);
    // Only the owed handlers: the rest of the host's record is the last run's.
    expect({ ...written.hosts.n1, pendingHandlers: undefined }).toEqual({ ...before.hosts.n1, pendingHandlers: undefined });
    expect(written.serial).toBe(before.serial + 1);

    // The config is in sync now: no change is planned, but reload is still owed.
    const replan = await runPlan(options());
    expect(replan.hosts[0]).toMatchObject({ changes: [], handlers: ['reload'], pendingHandlers: ['reload'] });
    expect(renderPlan(replan)).toContain('reload (owed by an interrupted or failed run)');

    const result = await runApply(options());
    expect(result.hosts[0]).toMatchObject({ host: 'n1', status: 'applied' });
    expect(readFileSync(join(out, 'reloads'), 'utf8')).toBe('reload\nreload\n');
    expect((await state()).hosts.n1!.pendingHandlers).toBeUndefined();
    expect(renderPlan(await runPlan(options()))).toContain('No changes.');
  });

  it('a first apply killed in its batch leaves the host recorded as a failed start that owes them', async () => {
    playbook('v1');
    await killedApply();
    expect(existsSync(join(out, 'reloads'))).toBe(false);
    const host = (await state()).hosts.n1!;
    expect(host).toMatchObject({ pendingHandlers: ['reload'], lastOutcome: 'failed', appliedAt: '', topologyHash: '', node: { address: '10.0.0.1' } });
    expect(host.lastError).toMatch(/ended before it recorded/);

    const replan = await runPlan(options());
    expect(replan.hosts[0]).toMatchObject({ changes: [], handlers: ['reload'], pendingHandlers: ['reload'] });
    await runApply(options());
    expect(readFileSync(join(out, 'reloads'), 'utf8')).toBe('reload\n');
    expect((await state()).hosts.n1).toMatchObject({ lastOutcome: 'applied' });
    expect((await state()).hosts.n1!.pendingHandlers).toBeUndefined();
    expect(renderPlan(await runPlan(options()))).toContain('No changes.');
  });

  it('cost nothing where no handler can run: a no-change apply, and an apply whose changes notify none, write the state once, at the end', async () => {
    playbook('v1', 'a');
    await runApply(options());
    const serial = (await state()).serial;
    await runApply(options());
    expect((await state()).serial).toBe(serial + 1);
    playbook('v1', 'b');
    await runApply(options());
    expect(readFileSync(join(out, 'plain.conf'), 'utf8')).toBe('b\n');
    expect((await state()).serial).toBe(serial + 2);
  });

  it('an apply whose batch runs handlers writes twice: ahead of the batch, and its outcome', async () => {
    playbook('v1');
    await runApply(options());
    const serial = (await state()).serial;
    playbook('v2');
    await runApply(options());
    const after = await state();
    expect(after.serial).toBe(serial + 2);
    expect(after.hosts.n1!.pendingHandlers).toBeUndefined();
  });
});

describe('a rolling run killed in a later batch', () => {
  /** The local shell, except that the batch of `dyingHost` (the script that writes its config) never returns, and writes nothing. */
  class DiesOnHost extends LocalTransport {
    override async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
      if (dieInBatch && command === 'sh -s' && options.stdin?.includes(join(out, 'n2.conf'))) {
        dieInBatch();
        return new Promise<ExecResult>(() => undefined);
      }
      return super.exec(command, options);
    }
  }

  it('keeps the record of a new host an earlier batch applied: n1, applied and its handler run, is known to the state', async () => {
    writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n          - { name: n2, address: 10.0.0.2 }\n');
    writeFileSync(
      join(dir, 'app.yaml'),
      `name: app\nresources:\n  - file: { path: "${out}/{{node.name}}.conf", content: "v1\\n", notify: [reload] }\nhandlers:\n  - { name: reload, run: "echo reload >> ${join(out, 'reloads')}" }\n`,
    );
    const rolling = options({ rolling: true, verify: false, connect: async (node) => new DiesOnHost(node.name) });
    const dead = new Promise<void>((resolve) => (dieInBatch = resolve));
    void runApply(rolling).catch(() => undefined);
    await dead;
    dieInBatch = undefined;
    unlinkSync(statePaths(topology, 'g').lock);

    // Batch 1 made n1's change and ran its handler; the run died in n2's batch, before n2 changed anything.
    expect(readFileSync(join(out, 'n1.conf'), 'utf8')).toBe('v1\n');
    expect(readFileSync(join(out, 'reloads'), 'utf8')).toBe('reload\n');
    expect(existsSync(join(out, 'n2.conf'))).toBe(false);
    const written = await state();
    expect(Object.keys(written.hosts).sort()).toEqual(['n1', 'n2']);
    // n1 as the run's record would have it: applied, this topology, nothing owed.
    expect(written.hosts.n1).toMatchObject({ lastOutcome: 'applied', changesApplied: 1, node: { address: '10.0.0.1' } });
    expect(written.hosts.n1!.appliedAt).not.toBe('');
    expect(written.hosts.n1!.pendingHandlers).toBeUndefined();
    expect(written.hosts.n2).toMatchObject({ lastOutcome: 'failed', pendingHandlers: ['reload'] });

    // The next apply does n2 only: n1 is in sync and owes nothing.
    const result = await runApply(rolling);
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([
      ['n1', 'unchanged'],
      ['n2', 'applied'],
    ]);
    expect(readFileSync(join(out, 'reloads'), 'utf8')).toBe('reload\nreload\n');
  });
});
