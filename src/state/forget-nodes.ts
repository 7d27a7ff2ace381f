import { NotInStateError } from '../errors/index.js';
import { printableJson } from '../text/printable-json.js';
import { namedFew } from '../named-few.js';
import { plural } from '../plural.js';
import { closestName } from '../topology/closest-name.js';
import { sh } from '../transport/quote.js';
import { allNodes, type Grid } from '../topology/model.js';
import { StateLock } from './lock.js';
import { readState, writeState, type GridState, type HostState } from './state.js';

/** One node `gridops state rm` forgot, with the record it had: where it was and how it was reached. */
export interface ForgottenNode {
  node: string;
  record: HostState;
  /** The topology still has it: the next apply plans it afresh from the host, as one never applied. */
  inTopology: boolean;
}

/** What `gridops state rm` returns (and `--json` prints). */
export interface ForgetResult {
  grid: string;
  stateFile: string;
  /** The state's serial after the write. */
  serial: number;
  forgotten: ForgottenNode[];
}

/**
 * Terraform's `state rm`: forgets nodes in the state without contacting them, for a host that is
 * gone for good (a decommission that can never reach it would otherwise be tried by every apply).
 * Under the state's lock, as apply takes it: an apply running meanwhile would write its own copy
 * of the state back over this one; `warn` hears a stale lock taken over, as apply says it. Every
 * name must be in the state, or nothing is forgotten. `stateDir`: the run's --state-dir, which the
 * `state list` a refusal suggests needs too, or it lists another state.
 */
export async function forgetNodes(grid: Grid, paths: { state: string; lock: string }, names: readonly string[], holder: string, warn: (message: string) => void = () => undefined, stateDir?: string): Promise<ForgetResult> {
  const wanted = [...new Set(names)];
  const topologyNodes: ReadonlySet<string> = new Set(allNodes(grid).map((n) => n.name));
  const refuse = (state: GridState) => refuseUnknown(state, wanted, topologyNodes, grid, paths.state, stateDir);
  // Checked before the lock too: the lock makes the state directory (and its .gitignore), which a
  // state rm that forgets nothing must not leave behind. Checked again under the lock, which is
  // what counts (an apply may have recorded or forgotten nodes in between).
  refuse(await readState(paths.state, grid.name));
  const lock = await StateLock.acquire(paths.lock, holder, warn);
  try {
    const state = await readState(paths.state, grid.name);
    refuse(state);
    const forgotten = wanted.map((node) => ({ node, record: state.hosts[node]!, inTopology: topologyNodes.has(node) }));
    for (const name of wanted) delete state.hosts[name];
    await writeState(paths.state, state);
    return { grid: grid.name, stateFile: paths.state, serial: state.serial + 1, forgotten };
  } finally {
    await lock.release();
  }
}

function refuseUnknown(state: GridState, wanted: readonly string[], topologyNodes: ReadonlySet<string>, grid: Grid, stateFile: string, stateDir: string | undefined): void {
  const unknown = wanted.filter((name) => !state.hosts[name]);
  if (unknown.length) throw notInState(unknown, Object.keys(state.hosts), topologyNodes, grid, stateFile, stateDir);
}

/**
 * `state list` shows every node of the topology, record or not, so a name it shows may still have
 * no record: the refusal says which names are such nodes (never applied, or forgotten already:
 * nothing to forget) and what `state list` shows for them, apart from names found nowhere.
 */
function notInState(unknown: string[], recorded: string[], topologyNodes: ReadonlySet<string>, grid: Grid, stateFile: string, stateDir: string | undefined): NotInStateError {
  const unrecorded = unknown.filter((name) => topologyNodes.has(name));
  const nowhere = unknown.filter((name) => !topologyNodes.has(name));
  const where = `the state of grid ${grid.name} (${stateFile}, ${plural(recorded.length, 'node')})`;
  const list = `\`${sh(['gridops', 'state', 'list', grid.file, ...(stateDir ? ['--state-dir', stateDir] : [])])}\``;
  const problems: string[] = [];
  const hints: string[] = [];
  if (nowhere.length) {
    problems.push(`${namedFew(nowhere)} ${nowhere.length === 1 ? 'is' : 'are'} not in ${where}`);
    const near = nowhere.length === 1 ? closestName(nowhere[0]!, recorded) : undefined;
    hints.push(`${near ? `did you mean ${printableJson(near)}? ` : ''}${list} lists the nodes`);
  }
  if (unrecorded.length) {
    const one = unrecorded.length === 1;
    problems.push(`${namedFew(unrecorded)} ${one ? 'has' : 'have'} no record in ${nowhere.length ? 'it' : where}: never applied, or forgotten already, so there is nothing to forget`);
    hints.push(`${nowhere.length ? '' : `${list} `}shows ${namedFew(unrecorded)} as "never applied" (no record); only a node with a LAST RUN there (applied, unchanged, failed or skipped) has a record to forget`);
  }
  return new NotInStateError(`${problems.join('; ')}; nothing was forgotten`, hints.join('; it '));
}
