import type { HostFacts } from '../facts/host-facts.js';
import type { Change } from '../plan/change.js';
import type { Node } from '../topology/model.js';
import type { StepRecorder } from './step-recorder.js';

/** What a resource may look at while planning: the node's configuration and its facts. */
export interface PlanContext {
  node: Node;
  facts: HostFacts;
  /**
   * What earlier `line` changes of this host's plan leave in a file, by path: a second line in the
   * same file is planned on top of the first (as Ansible runs lineinfile tasks in turn), not on the
   * file as read, whose write would undo the first. `owner` and `group`: those an earlier line set.
   */
  lines?: Map<string, { text: string; mode: string; owner?: string; group?: string }>;
  /**
   * The grid network gridops made on this host and this plan removes before it makes the
   * topology's (a renamed hypervisor.sandbox.network: phases/renamed-grid-network.ts).
   */
  replacedNetwork?: string;
}

/**
 * An idempotent piece of desired state on a host. Planning is split so that facts and every
 * resource of a host are read in ONE round trip: the planner concatenates the facts script and
 * each `probe()`, runs them together, and hands each resource its own stdout to `diff()`, which is pure.
 * `apply()` receives a StepRecorder, which only the mutation gate hands out.
 */
export interface Resource<C extends Change = Change> {
  readonly id: string;
  readonly kind: C['kind'];
  /**
   * A POSIX sh snippet that prints the current state on stdout. Values must be quote()d. It
   * runs in the same round trip as fact gathering, so it cannot depend on facts.
   */
  probe(): string;
  /**
   * The probe may run in the read's own shell instead of a subshell of its own: it never exits,
   * changes directory or sets shell options, and sets only variables it assigns before reading.
   * A subshell is a fork per resource per host on every plan (0.5 to 1 ms of the host's CPU).
   */
  readonly probeSharesShell?: boolean;
  /**
   * diff() and apply() never look at `ctx.facts`. When every resource of a host says so and no
   * template reads a fact, the planner gathers only the agent's version (about 5 ms of a host's
   * CPU fewer per read). Set it only on a resource whose file never mentions facts: a unit test checks.
   */
  readonly ignoresFacts?: true;
  /**
   * The paths this resource writes (a command: the file its `creates` names). A sweep of what the
   * topology dropped keeps a file another resource of the run writes (playbooks/retired-kernel.ts).
   */
  readonly writes?: readonly string[];
  /** The change that brings the host to the desired state, a note (action `none`), or null. May throw PlanningError. */
  diff(stdout: string, ctx: PlanContext): C | null;
  /** Performs exactly `change`. */
  apply(change: C, recorder: StepRecorder, ctx: PlanContext): Promise<void>;
}
