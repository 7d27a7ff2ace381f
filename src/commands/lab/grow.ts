import { Flags } from '@oclif/core';
import { GridopsCommand } from '../../base-command.js';
import { labGrow, type LabGrowResult } from '../../lab/lab.js';
import { readState } from '../../lab/state.js';
import { resolveLabDir } from '../../lab/paths.js';
import { labCommand } from '../../lab/lab-command.js';
import { lineProgress } from '../../lab/progress.js';
import { withInterrupt } from '../../lab/interrupt.js';
import { LabError } from '../../errors/index.js';

export default class LabGrow extends GridopsCommand<LabGrowResult> {
  static override summary = 'Add nodes, sub-grids and regions to a running lab, leaving its nodes alone';
  static override description = `Give the totals the lab should have. New regions get the new sub-grids, and a name in the lab's DNS (region-N.lab.grid.internal); new sub-grids get the new nodes; with no new sub-grid, each new node joins the smallest sub-grid. Existing nodes keep running untouched (same processes, files and addresses). Rewrites the lab's topology.yaml; then \`gridops apply\` it to deploy the new nodes.`;
  static override examples = ['<%= config.bin %> lab grow --nodes 9 --subgrids 3', '<%= config.bin %> lab grow --nodes 10 --subgrids 4 --regions 2', '<%= config.bin %> lab grow --nodes 11'];
  static override flags = {
    nodes: Flags.integer({ char: 'n', description: 'total number of nodes [default: as now]' }),
    subgrids: Flags.integer({ char: 's', description: 'total number of sub-grids [default: as now]' }),
    regions: Flags.integer({ char: 'r', description: 'total number of regions [default: as now]' }),
    dir: Flags.string({ char: 'd', description: 'lab directory [default: $GRIDOPS_LAB_DIR or ~/.cache/gridops/lab]' }),
  };

  async run(): Promise<LabGrowResult> {
    const { flags } = await this.parse(LabGrow);
    const dir = resolveLabDir(flags.dir);
    const now = readState(dir)?.plan.shape;
    if (!now) throw new LabError(`no lab in ${dir}`, `start one with \`${labCommand('up', dir)}\`, then grow it`);
    const progress = lineProgress((l) => this.say(l), this.verbose);
    const result = await withInterrupt((signal) =>
      labGrow({ dir, nodes: flags.nodes ?? now.nodes, subgrids: flags.subgrids ?? now.subgrids, regions: flags.regions ?? now.regions }, { progress, signal }),
    );
    if (!this.jsonEnabled()) {
      this.log('');
      if (result.added.length === 0) this.log('  nothing to add: the lab already has that shape');
      for (const n of result.added) this.log(`  + ${n.name.padEnd(10)} ${n.address.padEnd(15)} ${n.region}/${n.subgrid}`);
      this.log('');
      this.log(`topology:    ${result.topology}`);
      this.log(`next:        gridops apply ${result.topology}`);
    }
    return result;
  }
}
