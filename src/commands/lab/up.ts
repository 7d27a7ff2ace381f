import { Flags } from '@oclif/core';
import { GridopsCommand } from '../../base-command.js';
import { labUp, type LabUpResult } from '../../lab/lab.js';
import { resolveLabDir } from '../../lab/paths.js';
import { DEFAULT_NODES } from '../../lab/plan.js';
import { lineProgress } from '../../lab/progress.js';
import { LAB_KINDS, type LabKind } from '../../lab/types.js';
import { withInterrupt } from '../../lab/interrupt.js';
import { shellWord } from '../../lab/lab-command.js';

export default class LabUp extends GridopsCommand<LabUpResult> {
  static override summary = 'Build a local lab fleet of real nodes (idempotent)';
  static override description = `Nodes are systemd containers (default), light network-namespace hosts, or qemu VMs, on a private bridge with no route off the machine. Writes a ready topology, the client key and a known_hosts with every node's real host key into the lab directory.`;
  static override examples = ['<%= config.bin %> lab up --nodes 6', '<%= config.bin %> lab up --kind netns --nodes 50 --subgrids 5 --regions 2', '<%= config.bin %> lab up --kind vm'];
  static override flags = {
    nodes: Flags.integer({ char: 'n', description: `number of nodes (default ${DEFAULT_NODES.container} containers, ${DEFAULT_NODES.netns} netns hosts, ${DEFAULT_NODES.vm} vm)` }),
    kind: Flags.string({ char: 'k', description: 'what a node is', options: [...LAB_KINDS], default: 'container' }),
    subgrids: Flags.integer({ char: 's', description: 'sub-grids, nodes spread evenly over them', default: 1 }),
    regions: Flags.integer({ char: 'r', description: 'regions, sub-grids spread evenly over them', default: 1 }),
    dir: Flags.string({ char: 'd', description: 'lab directory [default: $GRIDOPS_LAB_DIR or ~/.cache/gridops/lab]' }),
  };

  async run(): Promise<LabUpResult> {
    const { flags } = await this.parse(LabUp);
    const kind = flags.kind as LabKind;
    const dir = resolveLabDir(flags.dir);
    const progress = lineProgress((l) => this.say(l), this.verbose);
    const result = await withInterrupt((signal) =>
      labUp({ kind, nodes: flags.nodes ?? DEFAULT_NODES[kind], subgrids: flags.subgrids, regions: flags.regions, dir }, { progress, signal }),
    );
    if (!this.jsonEnabled()) {
      this.log('');
      for (const n of result.nodes) this.log(`  ${n.name.padEnd(10)} ${n.address.padEnd(15)} ${n.region}/${n.subgrid}`);
      this.log('');
      this.log(`topology:    ${result.topology}`);
      this.log(`known_hosts: ${result.knownHosts}`);
      this.log(`ssh:         ssh -i ${shellWord(result.identity)} -o ${shellWord(`UserKnownHostsFile=${result.knownHosts}`)} root@${result.nodes[0]?.address ?? ''}`);
      this.log(`next:        gridops validate ${shellWord(result.topology)}`);
    }
    return result;
  }
}
