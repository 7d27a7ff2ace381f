import { Args } from '@oclif/core';
import { GridopsCommand } from '../../base-command.js';
import { connectionFlags } from '../../cli-flags.js';
import { formatStateEntry } from '../../formatters/state.js';
import { stateEntry, type StateEntry } from '../../state/state-report.js';
import { readState, statePaths } from '../../state/state.js';
import { loadTopology } from '../../topology/load.js';

export default class StateShow extends GridopsCommand<StateEntry> {
  static override summary = 'Show everything the state file records for one node';
  static override description = 'Reads the state file beside the topology (or --state-dir); connects to nothing. An unknown node is an error naming the closest one.';
  static override examples = ['<%= config.bin %> state show topology.yaml n1', '<%= config.bin %> state show topology.yaml n1 --json'];
  static override args = {
    file: Args.string({ required: true, description: 'topology file' }),
    node: Args.string({ required: true, description: 'node name' }),
  };
  static override flags = { 'state-dir': connectionFlags['state-dir'] };

  async run(): Promise<StateEntry> {
    const { args, flags } = await this.parse(StateShow);
    const grid = await loadTopology(args.file);
    const state = await readState(statePaths(args.file, grid.name, flags['state-dir']).state, grid.name);
    const entry = stateEntry(grid, state, args.node);
    this.say(formatStateEntry(entry));
    return entry;
  }
}
