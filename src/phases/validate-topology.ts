import { statePaths } from '../state/state.js';
import { selectSite } from '../topology/select-site.js';
import { checkRunInputs } from './check-inputs.js';
import { refuseRollingWithShortHealthTimeout } from './rolling-health-timeout.js';
import type { Phase } from './phase.js';
import { checkLocalFiles } from './local-files.js';
import { selectNodes } from './select-nodes.js';
import { loadWorkflow } from './workflow-playbooks.js';

/**
 * DESIGN step 1: the whole topology, the nodes the run targets (`--limit`, `--site`) and every
 * playbook they will run are loaded and validated. Any problem stops the run here, before any connection.
 */
export const validateTopology: Phase = {
  title: 'validate the topology and its playbooks',
  async run(ctx) {
    // A plan or an apply of a topology or playbook this build validated before takes that result (topology/ and playbooks/validated-cache.ts).
    const { grid, warnings, flagWarnings, loaded } = await checkRunInputs(ctx.options.topologyFile, { cached: true, adHoc: ctx.options.playbooks, targets: (g) => selectNodes(g, ctx.options.limit) });
    ctx.setGrid(grid, statePaths(ctx.options.topologyFile, grid.name, ctx.options.stateDir));
    ctx.warnings = warnings;
    for (const w of warnings) ctx.options.warn?.(w);
    for (const w of flagWarnings) ctx.warn(w);
    refuseRollingWithShortHealthTimeout(warnings, ctx.options.rolling);
    ctx.nodes = selectNodes(grid, ctx.options.limit);
    if (ctx.options.site !== undefined) ctx.site = new Set(selectSite(grid, ctx.options.site).map((n) => n.name));
    ctx.workflow = loadWorkflow(grid, ctx.nodes, ctx.options.playbooks, loaded, { cached: true });
    checkLocalFiles(grid, ctx.nodes, ctx.workflow);
  },
};
