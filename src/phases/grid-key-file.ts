import { ValidationError } from '../errors/index.js';
import { needsGridKey } from '../playbooks/instantiate.js';
import { keyFileProblems } from '../topology/key-file-check.js';
import { rereadSource } from '../topology/reread-source.js';
import type { Grid } from '../topology/model.js';
import type { Workflow } from './workflow-playbooks.js';

/**
 * A grid has one key: a second `agent.keyFile` is refused before any connection, at the line that
 * writes it, by a run that places the key (the agent playbook). `workflow`: the run's; without it
 * (validate of the grid's own workflow) the grid's, whose agent playbook does. Runs that place no
 * key (reset, `--playbook qos`) need none.
 */
export function checkGridKeyFile(grid: Grid, workflow?: Workflow): void {
  if (workflow && !needsGridKey([...new Set([...workflow.byNode.values()].flat())])) return;
  const source = rereadSource(grid.file);
  const problems = source ? keyFileProblems(grid, source) : [];
  if (problems.length) throw new ValidationError(problems, grid.file);
}
