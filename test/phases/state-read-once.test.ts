import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every readFile of a state file is counted; the read itself is the real one.
const stateReads: string[] = [];
jest.unstable_mockModule('node:fs/promises', () => ({
  ...realFs,
  readFile: (async (file: Parameters<typeof realFs.readFile>[0], ...rest: unknown[]) => {
    if (String(file).endsWith('.state.json')) stateReads.push(String(file));
    return (realFs.readFile as (...args: unknown[]) => unknown)(file, ...rest);
  }) as typeof realFs.readFile,
}));
const { runApply } = await import('../../src/phases/apply.js');
const { runPlan, PLAN_PHASES } = await import('../../src/phases/plan.js');
const { runReset } = await import('../../src/phases/reset.js');
const { runPhases } = await import('../../src/phases/manager.js');
const { recordState } = await import('../../src/phases/record-state.js');
const { RunContext } = await import('../../src/phases/run-context.js');
const { StateLock } = await import('../../src/state/lock.js');
const { statePaths } = await import('../../src/state/state.js');
const { LocalTransport } = await import('../../src/transport/local-transport.js');
const { RecordingTransport } = await import('../../src/transport/recording-transport.js');
const { gridOf } = await import('../resources/fixtures.js');
const { dryRun } = await import('./dry-run-batch.js');
type ApplyOptions = import('../../src/phases/run-options.js').ApplyOptions;
type PlannedHost = import('../../src/engine/planner.js').PlannedHost;

jest.setTimeout(60_000);

const local = new LocalTransport('local');
let dir: string;
let topology: string;
let stateFile: string;

const connect = async (node: { name: string }) =>
  new RecordingTransport(node.name).on(/[\s\S]*/, (command, { options: o }) => local.exec(command, { stdin: o.stdin })).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));

function options(extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return { topologyFile: topology, concurrency: 5, acceptNewHostKeys: false, progress: () => undefined, failFast: false, confirm: async () => true, emit: () => undefined, onPlan: () => undefined, connect, verify: false, ...extra };
}

const host = { topologyHash: 'earlier', playbooks: ['node-base', 'qos'], gridopsVersion: '0', agentVersion: null, appliedAt: '', changesApplied: 0, lastOutcome: 'applied' };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-state-once-'));
  topology = join(dir, 'grid.yaml');
  writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n          - { name: n2, address: 10.0.0.2 }\n');
  stateFile = statePaths(topology, 'g').state;
  mkdirSync(join(dir, '.gridops'));
  // No grid key yet: the run makes one, and looks in the state for agents that ran with another.
  writeFileSync(stateFile, JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: host, n2: host } }));
  stateReads.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('one run reads the state file once', () => {
  it('apply: the phases that use it (decommission, the read, the new grid key, the record) share one read, and the record still merges into it', async () => {
    await runApply(options());
    expect(stateReads).toEqual([stateFile]);
    const hosts = JSON.parse(readFileSync(stateFile, 'utf8')).hosts;
    expect(Object.keys(hosts).sort()).toEqual(['n1', 'n2']);
    expect(hosts.n1).toMatchObject({ lastOutcome: 'applied', playbooks: ['node-base', 'qos', 'agent'] });
  });

  it('plan and reset alike', async () => {
    await runPlan(options());
    expect(stateReads).toEqual([stateFile]);
    stateReads.length = 0;
    await runReset({ ...options(), limit: ['n2'] });
    expect(stateReads).toEqual([stateFile]);
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).hosts)).toEqual(['n1']);
  });

  it('the shared copy is frozen: no phase can change what a later one sees', async () => {
    const ctx = new RunContext(options());
    await runPhases(PLAN_PHASES, ctx);
    const state = await ctx.recordedState();
    expect(await ctx.recordedState()).toBe(state);
    expect(Object.isFrozen(state.hosts.n1)).toBe(true);
    expect(() => {
      (state.hosts.n1!.playbooks as string[]).push('x');
    }).toThrow(TypeError);
    expect(stateReads).toEqual([stateFile]);
  });

  it('record the state reads the file again when the run read it before taking the lock: another run may have written it in between', async () => {
    const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n');
    const recordRun = async (readFirst: 'before the lock' | 'under the lock' | 'under a lock removed by hand') => {
      const ctx = new RunContext(options());
      ctx.setGrid(grid, statePaths(topology, grid.name));
      ctx.workflow = { byNode: new Map(), refs: [], adHoc: false };
      ctx.planned = [{ session: { node: grid.regions[0]!.subgrids[0]!.nodes[0]!, facts: { agentVersion: null } }, plan: { playbooks: ['qos'], changes: [] }, kernelEntries: {}, handlers: [] } as unknown as PlannedHost];
      ctx.outcomes = [{ host: 'n1', status: 'applied', applied: 1 }];
      if (readFirst === 'before the lock') {
        await ctx.recordedState();
        // Another run records n3 meanwhile, then lets go of the lock.
        const onDisk = JSON.parse(readFileSync(stateFile, 'utf8'));
        writeFileSync(stateFile, JSON.stringify({ ...onDisk, hosts: { ...onDisk.hosts, n3: host } }));
      }
      ctx.lock = await StateLock.acquire(ctx.paths.lock, 'test');
      if (readFirst !== 'before the lock') await ctx.recordedState();
      if (readFirst === 'under a lock removed by hand') {
        // Its lock removed by hand, another run takes one and records n4 meanwhile.
        const onDisk = JSON.parse(readFileSync(stateFile, 'utf8'));
        writeFileSync(stateFile, JSON.stringify({ ...onDisk, hosts: { ...onDisk.hosts, n4: host } }));
      }
      stateReads.length = 0;
      await recordState.run(ctx);
      await ctx.lock.release();
      return stateReads.length;
    };
    expect(await recordRun('before the lock')).toBe(1);
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).hosts).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(await recordRun('under the lock')).toBe(0);
    // Merged into the copy: what this run did not touch is kept.
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).hosts).sort()).toEqual(['n1', 'n2', 'n3']);
    // Read under the lock, but the file changed anyway: read again, so the other run's record stays.
    expect(await recordRun('under a lock removed by hand')).toBe(1);
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).hosts).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
  });
});
