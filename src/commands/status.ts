import { Args, Flags } from '@oclif/core';
import { GridopsCommand, ExitCode } from '../base-command.js';
import { connectionFlags } from '../cli-flags.js';
import { formatGridStatus } from '../formatters/grid-status.js';
import { gridStatus, type GridStatus } from '../status/grid-status.js';

export default class Status extends GridopsCommand<GridStatus> {
  static override summary = "Show the grid's status: every node's reachability, facts, last apply and agent role";
  static override description = 'Connects with verified host keys and changes nothing. Exits 1 when a node is unreachable.';
  static override examples = ['<%= config.bin %> status topology.yaml', '<%= config.bin %> status topology.yaml --json'];
  static override args = { file: Args.string({ required: true, description: 'topology file' }) };
  static override flags = { concurrency: connectionFlags.concurrency, 'state-dir': connectionFlags['state-dir'], strict: Flags.boolean({ description: 'also exit 1 when a node is not applied with this topology', default: false }) };

  async run(): Promise<GridStatus> {
    const { args, flags } = await this.parse(Status);
    const status = await gridStatus(args.file, { concurrency: flags.concurrency, stateDir: flags['state-dir'] });
    this.say(formatGridStatus(status));
    if (status.reachable < status.nodes.length || (flags.strict && status.inSync < status.nodes.length)) process.exitCode = ExitCode.FAILURE;
    return status;
  }
}
