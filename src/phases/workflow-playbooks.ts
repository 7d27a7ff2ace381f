import { plural } from '../plural.js';
import { InputFileError, ValidationError } from '../errors/index.js';
import { fromTopology } from '../topology/playbook-reference.js';
import { loadPlaybook, playbookRef, type LoadedPlaybook, type LoadOptions } from '../playbooks/load.js';
import type { Grid, Node } from '../topology/model.js';
import type { Problem } from '../errors/problem.js';
import { quote, sh } from '../transport/quote.js';

/**
 * The grid's workflow on one node, in order (DESIGN: "inside a host: kernel modules, hypervisor,
 * QoS, agent"), then the topology's own playbooks. With no `--playbook`, this is what plan and
 * apply run: the topology, not flags, decides the job. The topology's references are resolved
 * here, on each run, from the files beside it now (a cached grid keeps them as written).
 */
export function gridPlaybooks(grid: Grid, node: Node): string[] {
  const own = grid.playbooks.map((p) => playbookRef(p.ref, fromTopology(grid.file)));
  return [...workflowNames(node), ...own];
}

/** gridops' own playbooks of the grid's workflow, in order; hypervisor only where hypervisor.enabled. */
export const WORKFLOW_PLAYBOOKS: readonly string[] = ['node-base', 'hypervisor', 'qos', 'agent'];

/** The grid's workflow on one node before the topology's own playbooks. */
export function workflowNames(node: Node): string[] {
  return WORKFLOW_PLAYBOOKS.filter((name) => name !== 'hypervisor' || node.settings.hypervisor.enabled);
}

/** Which playbooks run on each node, loaded and validated once, before any host is contacted. */
export interface Workflow {
  byNode: Map<string, LoadedPlaybook[]>;
  /** Every playbook of the run, in first-use order, as a saved plan names them. */
  refs: string[];
  /** `--playbook` replaced the grid's workflow for this run. */
  adHoc: boolean;
}

/** Playbooks loaded while checking a run's inputs, by the reference that named them, so the workflow loads none twice. */
export type LoadedPlaybooks = Map<string, LoadedPlaybook>;

/**
 * The topology's own playbooks that do not load, each at the position where the topology names
 * it (also for a topology with problems elsewhere: its entries that have none of their own).
 */
export function topologyPlaybookProblems(playbooks: Grid['playbooks'], topologyFile: string, loaded: LoadedPlaybooks = new Map(), options: LoadOptions = {}): Problem[] {
  const problems: Problem[] = [];
  for (const { ref, position } of playbooks) {
    try {
      // Kept under the reference the workflow asks for (gridPlaybooks), so it loads none twice.
      const resolved = playbookRef(ref, fromTopology(topologyFile));
      if (!loaded.has(resolved)) loaded.set(resolved, loadPlaybook(ref, fromTopology(topologyFile), options));
    } catch (err) {
      if (err instanceof ValidationError) {
        // A lone problem keeps its own hint (the names a template may use, say): it says what to write.
        const own = err.problems.length === 1 && err.problems[0]!.hint ? `${err.problems[0]!.hint}; ` : '';
        problems.push({ ...position, path: 'playbooks', message: `playbook ${ref} has ${plural(err.problems.length, 'problem')}: ${err.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('; ')}`, hint: `${own}fix the playbook, then run \`gridops validate ${quote(topologyFile)}\` again` });
      } else if (err instanceof InputFileError) problems.push({ ...position, path: 'playbooks', message: err.message, hint: err.hint });
      else throw err;
    }
  }
  return problems;
}

/**
 * The `--playbook` playbooks of a run, loaded into `loaded`, with every problem of every one of
 * them: `problems` at their lines, and `unreadable` for one that names nothing or cannot be read
 * (the command line names it, so no line of a file can show that problem).
 */
export function adHocPlaybookProblems(refs: readonly string[], loaded: LoadedPlaybooks, options: LoadOptions = {}): { problems: Problem[]; unreadable: InputFileError[] } {
  const problems: Problem[] = [];
  const unreadable: InputFileError[] = [];
  for (const ref of new Set(refs)) {
    try {
      if (!loaded.has(ref)) loaded.set(ref, loadPlaybook(ref, undefined, options));
    } catch (err) {
      if (err instanceof ValidationError) problems.push(...err.problems);
      else if (err instanceof InputFileError) unreadable.push(err);
      else throw err;
    }
  }
  return { problems, unreadable };
}

/** The hint of a run's ValidationError: `gridops validate FILE` alone checks no `--playbook`, so it repeats the run's. */
export function recheckHint(topologyFile: string, adHoc?: readonly string[]): string | undefined {
  if (!adHoc?.length) return undefined;
  return `fix the lines above, then run \`${sh(['gridops', 'validate', topologyFile, ...adHoc.flatMap((p) => ['--playbook', p])])}\` again`;
}

/**
 * The run's playbooks node by node: `--playbook` for ad-hoc work, else the grid's workflow. Those
 * checked before come from `loaded`; the others (gridops' own: node-base, hypervisor, qos, agent)
 * from the playbook cache where `options.cached` asks for it, as a run's validate phase does: their
 * check was 40 ms of every plain `plan` or `apply` before it connected (2026-12-06).
 */
export function loadWorkflow(grid: Grid, nodes: readonly Node[], adHoc: readonly string[] | undefined, loaded: LoadedPlaybooks, options: LoadOptions = {}): Workflow {
  const used = new Map<string, LoadedPlaybook>();
  const load = (ref: string) => {
    let playbook = used.get(ref);
    if (!playbook) used.set(ref, (playbook = loaded.get(ref) ?? loadPlaybook(ref, undefined, options)));
    return playbook;
  };
  const byNode = new Map<string, LoadedPlaybook[]>();
  for (const node of nodes) byNode.set(node.name, (adHoc?.length ? adHoc : gridPlaybooks(grid, node)).map(load));
  return { byNode, refs: [...used.values()].map((p) => p.ref), adHoc: Boolean(adHoc?.length) };
}
