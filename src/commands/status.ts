import { Args, Flags } from '@oclif/core';
import { GridopsCommand, ExitCode } from '../base-command.js';
import { connectionFlags } from '../cli-flags.js';
import { formatGridStatus } from '../formatters/grid-status.js';
import { gridStatus, overlayConverged, type GridStatus } from '../status/grid-status.js';
import { parseDuration } from '../topology/formats.js';

export default class Status extends GridopsCommand<GridStatus> {
  static override summary = "Show the grid's status: every node's reachability, facts, last apply and agent role";
  static override description = 'Connects with verified host keys and changes nothing. Exits 1 when a node is unreachable, or when --wait runs out before the overlay converged.';
  static override examples = ['<%= config.bin %> status topology.yaml', '<%= config.bin %> status topology.yaml --wait 30s --json'];
  static override args = { file: Args.string({ required: true, description: 'topology file' }) };
  static override flags = {
    concurrency: connectionFlags.concurrency,
    'state-dir': connectionFlags['state-dir'],
    strict: Flags.boolean({ description: 'also exit 1 when a node is not applied with this topology', default: false }),
    wait: Flags.string({ description: "wait up to this long (e.g. 30s) until every agent answers, every sub-grid has exactly one super peer and every region exactly one region peer" }),
  };

  async run(): Promise<GridStatus> {
    const { args, flags } = await this.parse(Status);
    const waitUntil = flags.wait ? Date.now() + parseDuration(flags.wait) : undefined;
    const status = await gridStatus(args.file, { concurrency: flags.concurrency, stateDir: flags['state-dir'], waitUntil });
    this.say(formatGridStatus(status));
    const unhealthy = status.reachable < status.nodes.length || (flags.strict && status.inSync < status.nodes.length) || (flags.wait !== undefined && !overlayConverged(status));
    if (unhealthy) process.exitCode = ExitCode.FAILURE;
    return status;
  }
}
