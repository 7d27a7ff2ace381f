import { plural } from '../plural.js';
import { ValidationError } from '../errors/index.js';
import { loadPlaybook, type LoadedPlaybook } from '../playbooks/load.js';
import type { Grid, Node } from '../topology/model.js';
import type { Problem } from '../errors/problem.js';
import { quote, sh } from '../transport/quote.js';

/**
 * The grid's workflow on one node, in order (DESIGN: "inside a host: kernel modules, hypervisor,
 * QoS, agent"), then the topology's own playbooks. With no `--playbook`, this is what plan and
 * apply run: the topology, not flags, decides the job.
 */
export function gridPlaybooks(grid: Grid, node: Node): string[] {
  return ['node-base', ...(node.settings.hypervisor.enabled ? ['hypervisor'] : []), 'qos', 'agent', ...grid.playbooks.map((p) => p.ref)];
}

/** Which playbooks run on each node, loaded and validated once, before any host is contacted. */
export interface Workflow {
  byNode: Map<string, LoadedPlaybook[]>;
  /** Every playbook of the run, in first-use order, as a saved plan names them. */
  refs: string[];
  /** `--playbook` replaced the grid's workflow for this run. */
  adHoc: boolean;
}

/** The topology's own playbooks that do not load, each at the position where the topology names it. */
export function topologyPlaybookProblems(grid: Grid): Problem[] {
  const problems: Problem[] = [];
  for (const { ref, position } of grid.playbooks) {
    try {
      loadPlaybook(ref);
    } catch (err) {
      if (err instanceof ValidationError) {
        // A lone problem keeps its own hint (the names a template may use, say): it says what to write.
        const own = err.problems.length === 1 && err.problems[0]!.hint ? `${err.problems[0]!.hint}; ` : '';
        problems.push({ ...position, path: 'playbooks', message: `playbook ${ref} has ${plural(err.problems.length, 'problem')}: ${err.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('; ')}`, hint: `${own}fix the playbook, then run \`gridops validate ${quote(grid.file)}\` again` });
      } else problems.push({ ...position, path: 'playbooks', message: (err as Error).message, hint: 'a path is relative to the topology file; a bare name is one of gridops\' playbooks (node-base, hypervisor, qos, agent)' });
    }
  }
  return problems;
}

/** Loads the run's playbooks: `--playbook` for ad-hoc work, else the grid's workflow node by node. */
export function loadWorkflow(grid: Grid, nodes: readonly Node[], adHoc?: readonly string[]): Workflow {
  const problems = adHoc?.length ? [] : topologyPlaybookProblems(grid);
  if (problems.length) throw new ValidationError(problems, grid.file);
  const loaded = new Map<string, LoadedPlaybook>();
  const load = (ref: string) => {
    let playbook = loaded.get(ref);
    if (!playbook) loaded.set(ref, (playbook = adHoc?.length ? loadAdHoc(grid, ref, adHoc) : loadPlaybook(ref)));
    return playbook;
  };
  const byNode = new Map<string, LoadedPlaybook[]>();
  for (const node of nodes) byNode.set(node.name, (adHoc?.length ? adHoc : gridPlaybooks(grid, node)).map(load));
  return { byNode, refs: [...loaded.values()].map((p) => p.ref), adHoc: Boolean(adHoc?.length) };
}

/**
 * A `--playbook` of the run, whose problems name the command that checks it again: `gridops validate
 * FILE` alone checks only the topology's own playbooks, so the hint repeats the run's --playbook flags.
 */
function loadAdHoc(grid: Grid, ref: string, adHoc: readonly string[]): LoadedPlaybook {
  try {
    return loadPlaybook(ref);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const command = sh(['gridops', 'validate', grid.file, ...adHoc.flatMap((p) => ['--playbook', p])]);
    throw new ValidationError(err.problems, err.file, `fix the lines above, then run \`${command}\` again`);
  }
}
