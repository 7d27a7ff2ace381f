import type { ApplyEvent } from '../engine/gate.js';
import type { Plan } from '../plan/plan.js';
import type { AptLockWait } from '../resources/apt-scripts.js';
import type { Node } from '../topology/model.js';
import type { Problem } from '../errors/problem.js';
import type { TransportLogger } from '../transport/logger.js';
import type { Transport } from '../transport/transport.js';
import type { RunProfile } from './run-profile.js';

/** What a command hands the plan and apply workflows: the flags, parsed, and its ways to talk to the user. */
export interface RunOptions {
  topologyFile: string;
  /** `--playbook`: ad-hoc work instead of the grid's workflow (which the topology decides). */
  playbooks?: string[];
  concurrency: number;
  acceptNewHostKeys: boolean;
  /** Only these node names (default: every node). */
  limit?: string[];
  stateDir?: string;
  /** `--persist`: keep the SSH connections this long after the run, and reuse kept ones (transport/keeper-server.ts). */
  persistMs?: number;
  /** Whether persistMs came from GRIDOPS_PERSIST rather than --persist, for the messages that name it. */
  persistFromEnvironment?: boolean;
  signal?: AbortSignal;
  /** Phase progress for humans: a message and the milliseconds since the run started. */
  progress: (message: string, elapsedMs: number) => void;
  /** A topology warning (valid, but probably not what is meant, or not applied yet). */
  warn?: (warning: Problem) => void;
  /**
   * A warning of the run that no file position holds (formatters/run-messages.ts `warn`): `--json`
   * types it `warning`. Without it, RunContext.warn says it as a progress line `warning: …`.
   */
  runWarning?: (message: string) => void;
  becomePrompt?: () => Promise<string>;
  /** Called once the run ends (also when it fails), with where its time went (`-v`). */
  onProfile?: (profile: RunProfile) => void;
  /** Structured run log (`--log-file`). */
  logger?: TransportLogger;
  /** How DNS names are resolved to tell a rename (renamed-node.ts); the system's resolver by default. Injected by tests. */
  resolveHost?: (name: string) => Promise<string[]>;
  /** `--allow-older-gridops`: plan (apply, reset) from a state a newer gridops wrote (newer-gridops-state.ts), going back to this one on purpose. */
  allowOlderGridops?: boolean;
  /** Injected transports, for tests; SSH by default. */
  connect?: (node: Node) => Promise<Transport>;
}

/** What apply adds to a plan run. */
export interface ApplyOptions extends RunOptions {
  savedPlan?: Plan;
  /** Where savedPlan was read from (`--plan`), for the `gridops plan ... --out` a refusal of it suggests. */
  savedPlanFile?: string;
  failFast: boolean;
  /** Ask the agents afterwards whether the overlay converged (default true). */
  verify?: boolean;
  /** Apply in health-gated batches, super peers last. */
  rolling?: boolean;
  /** Perform changes that restart the sandbox VM (without it they are refused and left untouched). */
  replaceSandbox?: boolean;
  /** `--site REGION[/SUBGRID]`: plan every host, apply only the nodes of that new site. */
  site?: string;
  /** With `--site`: widen the run to existing hosts, applying their planned changes too (else they make the run refuse). */
  allowExistingChanges?: boolean;
  /** The command this run is (default apply), for what its messages say to run again. */
  command?: 'apply' | 'reset';
  /** How apt steps wait for another apt's lock (default 120 s, trying again every 5 s); tests shorten it. */
  aptLockWait?: AptLockWait;
  confirm: (plan: Plan) => Promise<boolean>;
  emit: (e: ApplyEvent) => void;
  onPlan: (plan: Plan) => void;
}
