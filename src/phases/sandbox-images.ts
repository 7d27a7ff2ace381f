import type { Problem } from '../errors/problem.js';
import { usesSandboxImage } from '../playbooks/uses-sandbox-image.js';
import { imageFileProblems } from '../topology/image-file-check.js';
import { rereadSourceForCheck } from '../topology/reread-source.js';
import { missingImageSettingProblems } from '../topology/sandbox-image-check.js';
import type { Grid, Node } from '../topology/model.js';
import type { Workflow } from './workflow-playbooks.js';

/**
 * The sandbox image of every node whose playbooks will read it must be set, and a file on this
 * machine: each one that is not, at the line that enables the hypervisor or names the image,
 * where each node's plan used to fail after connecting. `workflow`: the run's; without it (validate
 * of the grid's own workflow, whose playbooks it does not load) the nodes with hypervisor.enabled,
 * which run `hypervisor`. Runs that read no image (reset, `--playbook qos`) need none.
 */
export function sandboxImageProblems(grid: Grid, nodes: readonly Node[], workflow?: Workflow): Problem[] {
  const reading = nodes.filter((n) => (workflow ? usesSandboxImage(workflow.byNode.get(n.name) ?? [], n.settings) : n.settings.hypervisor.enabled));
  const unset = reading.filter((n) => n.settings.hypervisor.sandbox.image === undefined);
  return [...(unset.length ? missingImageSettingProblems(rereadSourceForCheck(grid.file, 'hypervisor.sandbox.image'), unset) : []), ...imageFileProblems(grid, reading)];
}
