import { codeCacheOf } from '../cached-require.js';
import type { LoadedPlaybook } from '../playbooks/load.js';
import type { HostOutcome } from '../engine/applier.js';
import type { HostPlanning, PlannedHost } from '../engine/planner.js';
import type { Secrets } from '../playbooks/instantiate.js';
import type { UnbornGroups } from '../overlay/convergence.js';
import type { OverlayRecord } from '../overlay/overlay-record.js';
import { PACKAGE_ROOT } from '../package-root.js';
import type { Plan } from '../plan/plan.js';
import type { StateLock } from '../state/lock.js';
import { frozenState } from '../state/frozen-state.js';
import { NO_BIRTHS, type GroupBirths } from '../state/group-births.js';
import { readState, stateFileIdentity, type GridState, type statePaths } from '../state/state.js';
import type { Grid, Node } from '../topology/model.js';
import type { Problem } from '../errors/problem.js';
import { Fleet, type UnreachableHost } from '../transport/fleet.js';
import { RunProfile } from './run-profile.js';
import type { RollingStart } from './rolling-start.js';
import type { ApplyOptions, RunOptions } from './run-options.js';
import type { Workflow } from './workflow-playbooks.js';

/** Where a batched apply stopped, and why; the hosts of later batches are untouched. */
export interface BatchStop {
  batch: number;
  batches: number;
  reason: 'failed' | 'unhealthy' | 'interrupted';
  /** What stopped it; for an interrupt, when it came ("before batch 2/3 started"). */
  detail: string;
}

/**
 * Everything the phases of one run share (k0sctl's config + manager state): the options, then
 * what each phase found, in phase order. A phase reads what earlier phases set through the
 * accessors, which fail loudly if the phase list is out of order.
 */
export class RunContext {
  readonly t0 = performance.now();
  readonly fleet = new Fleet();
  /** Phase and per-host timings (`-v`). */
  readonly profile = new RunProfile();
  warnings: Problem[] = [];
  nodes: Node[] = [];
  /** Nodes whose gridops this run removes (decommissioned: the state knows them, the topology no longer; or `gridops reset`). */
  removing = new Set<string>();
  /** Nodes the topology no longer has, reached as the state recorded them: those of `removing` being decommissioned. */
  recordedOnly = new Set<string>();
  /**
   * Nodes the topology dropped whose host a node of the topology still is (renamed-node.ts): old
   * name -> new name. Never decommissioned; the old record is forgotten once the new node applied.
   */
  renamed = new Map<string, string>();
  /** Nodes whose hypervisor.enabled became false, with the hypervisor-off playbook each runs (retired-hypervisor.ts). */
  sandboxRemovals = new Map<string, LoadedPlaybook>();
  /** Nodes whose grid network was renamed since gridops made it: the old and new name (renamed-grid-network.ts). */
  networkRenames = new Map<string, { from: string; to: string }>();
  /** With `--site`: the nodes of the new site, the only ones this run changes. */
  site?: Set<string>;
  /**
   * With `--site`: every node the site names, the existing ones too (check-site.ts narrows `site`
   * to the new ones). What the run says of a host not reached: of the site, or outside it.
   */
  siteNodes?: ReadonlySet<string>;
  secrets: Secrets = {};
  /**
   * A grid key this run created although the state records agents running with an earlier one (a
   * moved or lost key file): the key changes for the whole grid, as a replaced key does
   * (check-grid-key-whole-grid.ts), even where the run's own hosts only get their first key.
   */
  createdGridKey?: { file: string; bytes: Buffer };
  /**
   * A grid key this run created where the state records no agent: a first key, unless the hosts
   * the read reached run agents with another (state-not-found.ts), which makes it createdGridKey.
   */
  madeGridKey?: { file: string; bytes: Buffer };
  /** What the state knows already ran and elected (state/group-births.ts), as the read rendered the bootstrap files and the plan elects by. */
  births: GroupBirths = NO_BIRTHS;
  /** Each reachable host's facts, current state and changes, as read in one round trip. */
  readings: HostPlanning[] = [];
  /** The hosts that could be planned, with the live resources that carry their changes out. */
  planned: PlannedHost[] = [];
  unreachable: UnreachableHost[] = [];
  outcomes: HostOutcome[] = [];
  stopped?: BatchStop;
  /** With `--rolling`: what the agents named before the question, the batches' start (ask-agents-before-rolling.ts). */
  rollingStart?: RollingStart;
  overlay?: OverlayRecord;
  /** The groups whose first election waits for voters outside the run, once the first poll of the overlay asked (unborn-groups-of-run.ts). */
  unborn?: UnbornGroups;
  lock?: StateLock;
  private loaded?: { grid: Grid; paths: ReturnType<typeof statePaths> };
  private stateRead?: { state: Promise<GridState>; underLock: boolean; identity: Promise<string> };
  /** The serial of this run's last write of the state file before its record (the owed handlers it wrote ahead of a batch, owed-ahead.ts), if any. */
  private serialWrittenAhead?: number;
  private chosen?: Workflow;
  private planned_?: Plan;

  constructor(readonly options: RunOptions & Partial<Omit<ApplyOptions, keyof RunOptions>>) {
    // performance.now() counts from the process's start: what passed before this run is start-up.
    this.profile.startupMs = Math.round(this.t0);
    // Recorded by bin/require-cached.js when it compiled the CLI's bundle (a run started by a test or a library user has none).
    const codeCache = codeCacheOf(`${PACKAGE_ROOT}/dist/cli/gridops.cjs`);
    if (codeCache !== undefined) this.profile.codeCache = codeCache;
  }

  /** Milliseconds since the run started. */
  elapsed(): number {
    return Math.round(performance.now() - this.t0);
  }

  say(message: string): void {
    this.options.progress(message, this.elapsed());
  }

  /** A warning of the run, through its warning channel (RunOptions.runWarning), else as a progress line that says it is one. */
  warn(message: string): void {
    if (this.options.runWarning) this.options.runWarning(message);
    else this.say(`warning: ${message}`);
  }

  setGrid(grid: Grid, paths: ReturnType<typeof statePaths>): void {
    this.loaded = { grid, paths };
  }

  get grid(): Grid {
    return this.need(this.loaded, 'the topology').grid;
  }

  get paths(): ReturnType<typeof statePaths> {
    return this.need(this.loaded, 'the topology').paths;
  }

  /**
   * The grid's state file as this run found it: read once, when the first phase asks, and the same
   * copy for every later one (find nodes to decommission, renamed grid networks, the read, the grid
   * key, the rolling batches, record the state). Frozen (state/frozen-state.ts): no phase can change
   * what a later one sees. Apply and reset take the state lock before their first phase that asks,
   * and every writer of the state (apply, reset, `state rm`) holds it, so the copy stays what the
   * file holds until this run records. `plan` takes no lock: its phases share one snapshot of the file.
   */
  recordedState(): Promise<GridState> {
    if (!this.stateRead) {
      // The file's identity before its read: a write in between makes it differ at the check, never the other way.
      const identity = stateFileIdentity(this.paths.state);
      this.stateRead = { identity, state: identity.then(() => readState(this.paths.state, this.grid.name)).then(frozenState), underLock: this.lock !== undefined };
    }
    return this.stateRead.state;
  }

  /**
   * Whether recordedState() still stands for the file, for record the state to merge into: read
   * while this run held the state lock, which it still holds, and the file the very one it read.
   * False when the run read before it locked, or holds no lock, or the file changed anyway (the
   * lock removed by hand, or taken over by mistake, and another run recorded meanwhile): its
   * record would otherwise undo that run's.
   */
  async recordedStateStillStands(): Promise<boolean> {
    if (this.lock === undefined || !this.stateRead?.underLock) return false;
    return (await this.stateRead.identity) === (await stateFileIdentity(this.paths.state));
  }

  /**
   * Says that this run itself just wrote the state file, ahead of its record: what it read, with
   * `serial`, and owed handlers added that its record replaces with the outcome (owed-ahead.ts).
   * recordedState() then still stands for the file, for record the state to merge into, and that
   * record counts on from `serial`. Only while it stood before the write: otherwise the record
   * reads the file again, as before.
   */
  async wroteStateAhead(serial: number): Promise<void> {
    if (!this.stateRead) return;
    this.serialWrittenAhead = serial;
    this.stateRead.identity = stateFileIdentity(this.paths.state);
    await this.stateRead.identity;
  }

  /** The serial the state file has after this run's last write ahead of its record; undefined when it made none. */
  get stateSerialWrittenAhead(): number | undefined {
    return this.serialWrittenAhead;
  }

  set workflow(w: Workflow) {
    this.chosen = w;
  }

  get workflow(): Workflow {
    return this.need(this.chosen, 'the workflow');
  }

  set plan(p: Plan) {
    this.planned_ = p;
  }

  get plan(): Plan {
    return this.need(this.planned_, 'the plan');
  }

  get hasPlan(): boolean {
    return this.planned_ !== undefined;
  }

  get interrupted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  private need<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`phase order: ${what} is not known yet`);
    return value;
  }
}
