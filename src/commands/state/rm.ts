import { Args } from '@oclif/core';
import { GridopsCommand } from '../../base-command.js';
import { connectionFlags } from '../../cli-flags.js';
import { runMessages } from '../../formatters/run-messages.js';
import { formatForgotten } from '../../formatters/state.js';
import { forgetNodes, type ForgetResult } from '../../state/forget-nodes.js';
import { statePaths } from '../../state/state.js';
import { loadTopology } from '../../topology/load.js';
import { sh } from '../../transport/quote.js';

export default class StateRm extends GridopsCommand<ForgetResult> {
  static override summary = 'Forget nodes in the state file without contacting them (Terraform\'s state rm)';
  static override description =
    'For a host that is gone for good: apply no longer tries to decommission a node the topology dropped once the state forgets it. Nothing is run on the host, so whatever gridops installed there stays. Takes the state lock, as apply does; a name the state does not record is a usage error (exit 64), and then nothing is forgotten.';
  static override examples = ['<%= config.bin %> state rm topology.yaml n7', '<%= config.bin %> state rm topology.yaml n7 n8 --json'];
  static override args = {
    file: Args.string({ required: true, description: 'topology file' }),
    node: Args.string({ required: true, multiple: true, description: 'node names, one or more' }),
  };
  static override flags = { 'state-dir': connectionFlags['state-dir'] };

  async run(): Promise<ForgetResult> {
    const { args, flags } = await this.parse(StateRm);
    const nodes = args.node;
    const grid = await loadTopology(args.file);
    const { warn } = runMessages({ json: this.jsonEnabled(), verbose: this.verbose });
    const result = await forgetNodes(grid, statePaths(args.file, grid.name, flags['state-dir']), nodes, sh(['gridops', 'state', 'rm', args.file, ...nodes]), warn, flags['state-dir']);
    this.say(formatForgotten(result));
    return result;
  }
}
