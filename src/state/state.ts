import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputFileError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { fileKind } from '../fs/input-file.js';
import { keepPrevious } from '../fs/keep-previous.js';
import type { Static } from '@sinclair/typebox';
import { printableValue } from '../text/printable-json.js';
import { sh } from '../transport/quote.js';
import { HOST_OUTCOMES, type HostRecord, hostRecordProblem } from './host-record-problem.js';
import type { OverlayRecord } from '../overlay/overlay-record.js';
import type { EffectiveSettings } from '../topology/model.js';

/** The keys of a playbook's `sysctl` entries and the modules of its `kernel-module` entries, for one host. */
export interface KernelEntries {
  sysctl: string[];
  modules: string[];
  /** Recorded by a `--playbook` run of a playbook outside the node's workflow: a workflow run leaves it, and its files, alone. */
  adHoc?: true;
}

/** KernelEntries by playbook ref; a playbook without such entries has none. */
export type EntriesByPlaybook = Record<string, KernelEntries>;

/** What was last applied to one host. Never holds a secret. */
export interface HostState {
  /**
   * Where the node was and how it was reached, so a node the topology drops can still be
   * decommissioned as it was applied (its key, known_hosts, jump host, become, sandbox network).
   * `settings` is absent from states written before it was recorded. Paths and names only: no secret.
   * Its kernel lists are also what the next apply sweeps the files of, when the topology drops an
   * item (playbooks/retired-kernel.ts): after a run that did not sweep them (failed, `--playbook`),
   * they keep the items the previous record named.
   */
  /**
   * `sshWritten`: the SSH settings (`user`, `port`, `identityFile`, `jumpHost`, `become`) the topology wrote,
   * which won over ~/.ssh/config when the node was applied and win again when it is decommissioned;
   * absent from states written before it was recorded (~/.ssh/config then wins for all four).
   */
  node?: { address: string; region: string; subgrid: string; user: string; port: number; settings?: EffectiveSettings; sshWritten?: string[] };
  /**
   * The keys and modules of each playbook's own `sysctl` and `kernel-module` entries for this host,
   * by playbook ref, whose files the next apply removes when a playbook drops them
   * (playbooks/retired-entries.ts). Absent from states written before it was recorded: nothing is swept then.
   */
  kernelEntries?: EntriesByPlaybook;
  /**
   * The first-bootstrap electorates this host was planned with when gridops last created its
   * bootstrap file (or failed while it may have), kept from then on: the file is create-only, so
   * later nodes of a sub-grid (region) that has not elected yet get the same list
   * (state/group-births.ts). Absent when it got none, and from states written before it was recorded.
   */
  electorate?: { subgrid?: string[]; region?: string[] };
  topologyHash: string;
  playbooks: string[];
  gridopsVersion: string;
  /** The agent on the host after the last run: the version deployed once the agent playbook applied there, else the one read; null: none runs there. */
  agentVersion: string | null;
  /**
   * The sandbox gridops made on the node, by the grid network it made for it: set once the
   * hypervisor playbook ran with success on a node with hypervisor.enabled, or made any of the
   * sandbox's objects in a run that then failed, null once
   * hypervisor-off did; kept by every other run (ad-hoc work, a run whose removal was refused), so
   * the network removed is the one made, whatever the topology says since. Absent from states
   * written before it was recorded: the last successful playbooks and settings then say
   * (retired-hypervisor.ts).
   */
  sandboxMade?: { network: string } | null;
  /**
   * Handlers a failed run owes the host: notified by changes it completed, not run since, since a
   * failing step ends a batch before its handlers (Ansible's lost notifications). Written ahead of
   * each batch too, as every handler the batch may run, so a run killed mid-batch, which records
   * nothing at its end, leaves them owed (phases/owed-ahead.ts); the run's own record replaces them.
   * The next plan runs them even where no change notifies them again; a run that runs them, or whose
   * host succeeds with them, drops them. Absent when none, and from states written before it was recorded.
   */
  pendingHandlers?: string[];
  /** When the last successful apply (applied or unchanged) ended; '' if none has. */
  appliedAt: string;
  /** Changes the last run completed on the host; for a failed run, those before its failing step. */
  changesApplied: number;
  /**
   * The last run's outcome on this host. A failed or skipped run keeps the previous successful
   * run's `topologyHash`, `playbooks` and `appliedAt`, so `status` does not call the host in sync.
   */
  lastOutcome: (typeof HOST_OUTCOMES)[number];
  /**
   * When the last run ended, whatever its outcome: after a failed run, the only record of its time
   * (`appliedAt` stays the last success's). Absent from states written before it was recorded, which
   * load as they are: the time is then unknown, and nothing else changes.
   */
  lastRunAt?: string;
  /** Where and how the last run failed, with the last lines of the step's stderr. */
  lastError?: string;
}

// The check readState makes of each host record (host-record-problem.ts) must follow HostState: a
// field added, dropped or made optional here without it there fails the build on these lines.
type CheckedRecord = Static<typeof HostRecord>;
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Every record writeState writes reads back: HostState fits the check. */
const everyWrittenRecordPasses: HostState extends CheckedRecord ? true : false = true;
const everyFieldChecked: Same<keyof HostState, keyof CheckedRecord> = true;
const optionalWhereHostStateIs: Same<OptionalKeys<HostState>, OptionalKeys<CheckedRecord>> = true;
const everyNodeFieldChecked: Same<keyof NonNullable<HostState['node']>, keyof NonNullable<CheckedRecord['node']>> = true;
const nodeOptionalWhereHostStateIs: Same<OptionalKeys<NonNullable<HostState['node']>>, OptionalKeys<NonNullable<CheckedRecord['node']>>> = true;
void [everyWrittenRecordPasses, everyFieldChecked, optionalWhereHostStateIs, everyNodeFieldChecked, nodeOptionalWhereHostStateIs];

export interface GridState {
  format: typeof STATE_FORMAT;
  grid: string;
  serial: number;
  hosts: Record<string, HostState>;
  /** What the agents agreed on at the end of the last apply that deployed or ran them. */
  overlay?: OverlayRecord;
  /**
   * The sub-grids and regions any recorded overlay named a peer for, kept across verifies that did
   * not ask them (state/elected-groups.ts), until none of their nodes runs an agent (read as elected
   * only while one does: a `state rm` of them all leaves it until a run writes the state). Absent
   * from states written before it was kept: their overlay then says.
   */
  elected?: { subgrids: string[]; regions: string[] };
  /**
   * The fingerprint of the grid key (secrets/grid-key-fingerprint.ts: a hash, never the key) every
   * running agent got from the last apply that gave it to all of them, so a key changed since (made by
   * a `plan`, an `agent.keyFile` pointed elsewhere) is still a change of key for the grid when a later
   * run's own nodes only get their first (phases/grid-key-since-apply.ts); set and cleared by
   * phases/grid-key-fingerprint-to-record.ts. Absent when no agent runs, and from states written
   * before it was recorded: unknown.
   */
  gridKeyFingerprint?: string;
}

/**
 * State, lock and (unless the topology names one) the grid key live beside the topology, per grid:
 * `.gridops/GRID.*`. So does the key that plans name secrets with (secrets/plan-digest.ts).
 */
export function statePaths(topologyFile: string, grid: string, stateDir?: string): { state: string; lock: string; gridKey: string; planDigestKey: string } {
  const dir = stateDir ?? join(dirname(topologyFile), '.gridops');
  return { state: join(dir, `${grid}.state.json`), lock: join(dir, `${grid}.lock`), gridKey: join(dir, `${grid}.key`), planDigestKey: join(dir, `${grid}.plan-digest.key`) };
}

/** What gridops writes into a state directory it creates: nothing in it belongs in git (the grid key least of all). */
const STATE_DIR_GITIGNORE = '# made by gridops: the grid key and the state stay out of git\n*\n';

/**
 * Makes the state directory (mode as mkdir gives it, as before). When this call creates it, it
 * also writes `.gitignore` holding `*`, as Python's venv does, so the grid key kept there is not
 * committed by accident. A directory that already exists is left alone: an existing `.gitignore` is
 * never overwritten, and one its owner removed is not put back.
 */
export async function ensureStateDir(dir: string): Promise<void> {
  // recursive mkdir returns the first directory it made, undefined when `dir` was already there.
  if ((await mkdir(dir, { recursive: true })) === undefined) return;
  try {
    await writeFile(join(dir, '.gitignore'), STATE_DIR_GITIGNORE, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * What tells one version of the state file from another (device, inode, size, mtime in ns), or
 * `absent`: writeState renames a new file over it, so any write changes the inode.
 */
export async function stateFileIdentity(file: string): Promise<string> {
  try {
    const st = await stat(file, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}

/** The one format this gridops reads and writes. */
export const STATE_FORMAT = 'gridops-state/v1';

/**
 * What a corrupt state file costs, said where gridops refuses one: moving it aside is not a way
 * out that loses nothing, since the state is all gridops knows of what it applied.
 */
function unreadableStateHint(file: string): string {
  const backup = stateBackupPath(file);
  if (existsSync(backup)) return `restore the state before gridops' last write from its backup: \`${sh(['cp', backup, file])}\`; moving ${file} aside instead makes every node read as never applied, and nodes the topology dropped are then no longer decommissioned`;
  return `gridops has no backup of it yet (${backup} is written before each write after the first): restore ${file} from a copy of your own if you have one; moving it aside makes every node read as never applied, and nodes the topology dropped are then no longer decommissioned`;
}

/**
 * For a state file that could not be read at all: its content may be sound, so restoring the
 * backup over it would throw away gridops' last write. EACCES is a root-owned 0600 state read by
 * another user (a run under sudo once): its owner and mode are what to look at.
 */
function stateReadErrorHint(file: string, code: string | undefined): string {
  const look = `\`${sh(['ls', '-l', file])}\` shows its owner and mode`;
  if (code === 'EACCES' || code === 'EPERM') return `${look}: run gridops as its owner (a run under sudo makes it root's), or give it to your user with \`sudo chown\`; its content is not in question, so do not restore the backup over it`;
  if (code === 'EISDIR') return `gridops keeps its state in a file there: move the directory ${file} elsewhere (or give another --state-dir)`;
  return `${look}; check the disk it is on, then run gridops again`;
}

/**
 * Where writeState keeps the state as it was before its last write, as Terraform keeps
 * terraform.tfstate.backup: the way back from a state file damaged since (a crash of the disk, an
 * edit by hand). Holds what the state holds: no secret.
 */
export function stateBackupPath(file: string): string {
  return `${file}.backup`;
}

/**
 * The grid's state, or the empty state when there is no file yet. A file gridops cannot use
 * (not JSON, cut off, another grid's, another format's) is an InputFileError naming it: using it
 * anyway would plan from a wrong record, and `state rm` or an apply would rewrite it.
 */
export async function readState(file: string, grid: string): Promise<GridState> {
  let text: string;
  try {
    // Asked before the file is opened: opening a named pipe would wait for a writer for good.
    const kind = await stat(file);
    if (!kind.isFile() && !kind.isDirectory()) throw new InputFileError(`cannot read state ${file}: it is ${fileKind(kind)}, not a regular file`, `gridops keeps its state in a regular file there: move ${file} elsewhere (or give another --state-dir)`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { format: STATE_FORMAT, grid, serial: 0, hosts: {} };
    const why = code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new InputFileError(`cannot read state ${file}: ${why}`, stateReadErrorHint(file, code), { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const why = text.trim() === '' ? 'it is empty' : `it is not JSON (${(err as Error).message})`;
    throw new InputFileError(`cannot read state ${file}: ${why}`, unreadableStateHint(file), { cause: err });
  }
  return checkedState(parsed, file, grid);
}

/** `parsed` as this grid's state, once its format, grid, serial and hosts (each host's record too) are what writeState writes. */
function checkedState(parsed: unknown, file: string, grid: string): GridState {
  const refuse = (why: string, hint = unreadableStateHint(file)) => new InputFileError(`cannot read state ${file}: ${why}`, hint);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw refuse(`it holds ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`}, not a state`);
  const state = parsed as Partial<Record<keyof GridState, unknown>>;
  if (state.format === undefined) throw refuse('it has no format, so it is not a gridops state');
  if (state.format !== STATE_FORMAT) throw refuse(`its format is ${printableValue(state.format)}, not ${STATE_FORMAT} (written by a newer gridops?)`, `run the gridops that wrote it, or restore a backup of ${file} this gridops wrote`);
  if (state.grid !== grid) throw refuse(`it is the state of grid ${printableValue(state.grid)}, not of grid "${grid}"`, `each grid keeps its own state (GRID.state.json): check --state-dir, or restore ${file} from a backup`);
  if (typeof state.serial !== 'number' || !Number.isInteger(state.serial) || state.serial < 0) throw refuse(`its serial is ${printableValue(state.serial)}, not a count of writes`);
  if (typeof state.hosts !== 'object' || state.hosts === null || Array.isArray(state.hosts)) throw refuse(`its hosts are ${printableValue(state.hosts)}, not an object of nodes`);
  for (const [host, record] of Object.entries(state.hosts)) {
    const problem = hostRecordProblem(record);
    if (problem) throw refuse(`its record of host ${printableValue(host)} is damaged: ${problem}`);
  }
  return parsed as GridState;
}

/** Writes the state atomically, mode 0600, after keeping the state as it was in its backup (stateBackupPath), atomically too. */
export async function writeState(file: string, state: GridState): Promise<void> {
  await ensureStateDir(dirname(file));
  await keepPrevious(file, stateBackupPath(file), 0o600);
  await writeFileAtomic(file, `${JSON.stringify({ ...state, serial: state.serial + 1 }, null, 2)}\n`, 0o600);
}
