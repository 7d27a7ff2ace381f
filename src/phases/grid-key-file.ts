import type { Problem } from '../errors/problem.js';
import { needsGridKey } from '../playbooks/instantiate.js';
import { keyFileProblems } from '../topology/key-file-check.js';
import { rereadSourceForCheck } from '../topology/reread-source.js';
import { allNodes, type Grid } from '../topology/model.js';
import type { Workflow } from './workflow-playbooks.js';

/**
 * A grid has one key: a second `agent.keyFile`, at the line that writes it, for a run that places
 * the key (the agent playbook). `workflow`: the run's; without it (validate of the grid's own
 * workflow) the grid's, whose agent playbook does. Runs that place no key (reset, `--playbook qos`) need none.
 */
export function gridKeyFileProblems(grid: Grid, workflow?: Workflow): Problem[] {
  if (workflow && !needsGridKey([...new Set([...workflow.byNode.values()].flat())])) return [];
  // The file is parsed again only for the positions of a problem: one key file (nearly every run) has none.
  if (new Set(allNodes(grid).map((n) => n.settings.agent.keyFile).filter((f) => f !== undefined)).size < 2) return [];
  return keyFileProblems(grid, rereadSourceForCheck(grid.file, 'agent.keyFile'));
}
