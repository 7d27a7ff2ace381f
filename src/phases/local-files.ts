import { ValidationError } from '../errors/index.js';
import { inReadingOrder, type Problem } from '../errors/problem.js';
import type { Grid, Node } from '../topology/model.js';
import { gridKeyFileProblems } from './grid-key-file.js';
import { sandboxImageProblems } from './sandbox-images.js';
import type { Workflow } from './workflow-playbooks.js';

/**
 * What a run reads from this machine besides the topology: the one grid key file, and the sandbox
 * image of each node of `nodes` whose playbooks read it. Both lists together, so that one run says
 * every problem; a check-inputs failure gathers them as well (check-inputs.ts).
 */
export function localFileProblems(grid: Grid, nodes: readonly Node[], workflow?: Workflow): Problem[] {
  return [...gridKeyFileProblems(grid, workflow), ...sandboxImageProblems(grid, nodes, workflow)];
}

/** localFileProblems, refused before any connection. */
export function checkLocalFiles(grid: Grid, nodes: readonly Node[], workflow?: Workflow): void {
  const problems = localFileProblems(grid, nodes, workflow);
  if (problems.length) throw new ValidationError(inReadingOrder(problems), grid.file);
}
