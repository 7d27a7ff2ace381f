import { NotInStateError } from '../errors/index.js';
import { printableJson } from '../text/printable-json.js';
import { namedFew } from '../named-few.js';
import { plural } from '../plural.js';
import { closestName } from '../topology/closest-name.js';
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
 * name must be in the state, or nothing is forgotten.
 */
export async function forgetNodes(grid: Grid, paths: { state: string; lock: string }, names: readonly string[], holder: string, warn: (message: string) => void = () => undefined): Promise<ForgetResult> {
  const wanted = [...new Set(names)];
  // Checked before the lock too: the lock makes the state directory (and its .gitignore), which a
  // state rm that forgets nothing must not leave behind. Checked again under the lock, which is
  // what counts (an apply may have recorded or forgotten nodes in between).
  refuseUnknown(await readState(paths.state, grid.name), wanted, grid.name, paths.state);
  const lock = await StateLock.acquire(paths.lock, holder, warn);
  try {
    const state = await readState(paths.state, grid.name);
    refuseUnknown(state, wanted, grid.name, paths.state);
    const inTopology = new Set(allNodes(grid).map((n) => n.name));
    const forgotten = wanted.map((node) => ({ node, record: state.hosts[node]!, inTopology: inTopology.has(node) }));
    for (const name of wanted) delete state.hosts[name];
    await writeState(paths.state, state);
    return { grid: grid.name, stateFile: paths.state, serial: state.serial + 1, forgotten };
  } finally {
    await lock.release();
  }
}

function refuseUnknown(state: GridState, wanted: readonly string[], grid: string, stateFile: string): void {
  const unknown = wanted.filter((name) => !state.hosts[name]);
  if (unknown.length) throw notInState(unknown, Object.keys(state.hosts), grid, stateFile);
}

function notInState(unknown: string[], recorded: string[], grid: string, stateFile: string): NotInStateError {
  const which = `${namedFew(unknown)} ${unknown.length === 1 ? 'is' : 'are'}`;
  const near = unknown.length === 1 ? closestName(unknown[0]!, recorded) : undefined;
  const guess = near ? `did you mean ${printableJson(near)}? ` : '';
  return new NotInStateError(
    `${which} not in the state of grid ${grid} (${stateFile}, ${plural(recorded.length, 'node')}); nothing was forgotten`,
    `${guess}\`gridops state list\` lists the nodes the state records`,
  );
}
