import { UsageError, ValidationError } from '../errors/index.js';
import { inReadingOrder, type Problem } from '../errors/problem.js';
import { isAgentPlaybook } from '../topology/agent-playbook.js';
import { agentAddressProblems } from '../topology/agent-address-check.js';
import { checkTopologyFile, type CheckOptions } from '../topology/load.js';
import { allNodes, type Grid, type Node } from '../topology/model.js';
import { shadowingFile, shadowWarning } from '../topology/playbook-reference.js';
import { gridKeyFileProblems } from './grid-key-file.js';
import { localFileProblems } from './local-files.js';
import { adHocPlaybookProblems, loadWorkflow, recheckHint, topologyPlaybookProblems, type LoadedPlaybooks } from './workflow-playbooks.js';
import { workflowConflicts } from './workflow-conflicts.js';

/** A run's inputs once they passed: the grid, its warnings, and the playbooks loaded on the way. */
export interface CheckedInputs {
  grid: Grid;
  warnings: Problem[];
  /** About `--playbook` values, which no line of a file holds: a name that is gridops' own playbook and a file here. */
  flagWarnings: string[];
  loaded: LoadedPlaybooks;
}

export interface InputOptions extends CheckOptions {
  /** `--playbook`: ad-hoc playbooks, checked with the topology. */
  adHoc?: readonly string[];
  /** Check the topology's own playbooks even with `--playbook` (validate does; a run with `--playbook` does not run them). */
  ownPlaybooks?: 'always' | 'unless-ad-hoc';
  /** The nodes the run targets (`--limit`), whose sandbox images it reads; default every node. */
  targets?: (grid: Grid) => readonly Node[];
}

/**
 * The topology and every playbook of the run, checked together, so that one run reports every
 * problem of every file (sorted, file by file) in one ValidationError, before any host is touched:
 * a user fixes them all, not one stage per run. A playbook the topology names is checked even when
 * the topology has problems elsewhere; one whose own entry is broken is not (its reference is not known).
 */
export async function checkRunInputs(topologyFile: string, options: InputOptions = {}): Promise<CheckedInputs> {
  const { adHoc, ownPlaybooks = 'unless-ad-hoc' } = options;
  const check = await checkTopologyFile(topologyFile, options);
  const loaded: LoadedPlaybooks = new Map();
  const checkOwn = ownPlaybooks === 'always' || !adHoc?.length;
  // A run's playbooks, as its topology, from a check this build kept where one was (playbooks/validated-cache.ts).
  const playbookOptions = { cached: options.cached };
  const flagged = adHocPlaybookProblems(adHoc ?? [], loaded, playbookOptions);
  // The grid's workflow runs the agent on every node; an ad-hoc run only with the agent playbook, by name or path.
  const runsAgent = !adHoc?.length || adHoc.some((ref) => {
    const playbook = loaded.get(ref);
    return playbook !== undefined && isAgentPlaybook(playbook);
  });
  const problems = [...check.problems, ...(checkOwn ? topologyPlaybookProblems(check.playbooks, topologyFile, loaded, playbookOptions) : []), ...flagged.problems, ...(check.grid && runsAgent ? agentAddressProblems(check.grid) : [])];
  // After the playbooks loaded: what the planner would refuse on every host, refused here.
  const conflicts = workflowConflicts(check.grid, topologyFile, checkOwn ? check.playbooks : undefined, adHoc ?? [], loaded, playbookOptions);
  problems.push(...conflicts.problems);
  // A topology or playbook problem stops the run before its caller checks the key file and the
  // images (local-files.ts): said now, on what of the grid resolves, they are fixed in the same pass.
  if (problems.length || !check.grid) problems.push(...localFilesOfFailedRun(check.grid ?? check.soundGrid, options, loaded));
  // A --playbook that names nothing, alone, is the one error it always was; with other problems, it is reported with them.
  if (flagged.unreadable.length === 1 && !problems.length && !conflicts.commandLine.length) throw flagged.unreadable[0]!;
  // A playbook given twice, with nothing else wrong, is the command line's fault alone: a usage error,
  // as any flag value that cannot be used (exit 64), not a file's problem count.
  if (conflicts.commandLine.length && !problems.length && !flagged.unreadable.length && check.grid) {
    throw new UsageError(conflicts.commandLine.map((c) => c.message).join('; '), [...new Set(conflicts.commandLine.map((c) => c.hint))].join('; '));
  }
  if (problems.length || flagged.unreadable.length || conflicts.commandLine.length || !check.grid) {
    const commandLine = [...flagged.unreadable.map((e) => ({ message: e.message, ...(e.hint ? { hint: e.hint } : {}) })), ...conflicts.commandLine];
    throw new ValidationError(inReadingOrder(problems), topologyFile, recheckHint(topologyFile, adHoc), commandLine);
  }
  const warnings = inReadingOrder(check.warnings);
  return { grid: check.grid, warnings, flagWarnings: [...new Set(adHoc)].flatMap(shadowedFlag), loaded };
}

/**
 * The key-file and image problems of a run whose inputs have other problems, on `grid` (the whole
 * grid, or its sound part). The run's workflow is known where its playbooks are: the grid's own (as
 * validate checks it), or every `--playbook` loaded; with one that did not load, which nodes read an
 * image is not known, and only that check waits for the next run. A `--limit` that selects nothing
 * here (its node may be left out of the sound part) leaves the images to the next run as well.
 */
function localFilesOfFailedRun(grid: Grid | undefined, options: InputOptions, loaded: LoadedPlaybooks): Problem[] {
  if (!grid) return [];
  const adHoc = options.adHoc ?? [];
  if (adHoc.length && !adHoc.every((ref) => loaded.has(ref))) return [];
  let nodes: readonly Node[];
  try {
    nodes = options.targets?.(grid) ?? allNodes(grid);
  } catch {
    return gridKeyFileProblems(grid, adHoc.length ? loadWorkflow(grid, allNodes(grid), adHoc, loaded) : undefined);
  }
  return localFileProblems(grid, nodes, adHoc.length ? loadWorkflow(grid, nodes, adHoc, loaded) : undefined);
}

/** The warning for a `--playbook NAME` that runs gridops' own playbook while a file NAME is here. */
function shadowedFlag(ref: string): string[] {
  const file = shadowingFile(ref);
  if (!file) return [];
  const { message, hint } = shadowWarning(ref, file);
  return [`--playbook ${message}; ${hint}`];
}
