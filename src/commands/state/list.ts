import { Args } from '@oclif/core';
import { GridopsCommand } from '../../base-command.js';
import { connectionFlags } from '../../cli-flags.js';
import { formatStateList } from '../../formatters/state.js';
import { stateEntries, type StateEntry } from '../../state/state-report.js';
import { readState, statePaths } from '../../state/state.js';
import { loadTopology } from '../../topology/load.js';

export interface StateListResult {
  grid: string;
  stateFile: string;
  serial: number;
  nodes: StateEntry[];
}

export default class StateList extends GridopsCommand<StateListResult> {
  static override summary = 'List every node with what the state file records for it (last run, when, with which topology)';
  static override description = 'Reads the state file beside the topology (.gridops/GRID.state.json, or --state-dir); connects to nothing. Hosts the state still records but the topology dropped are listed last.';
  static override examples = ['<%= config.bin %> state list topology.yaml', "<%= config.bin %> state list topology.yaml | awk 'NR>1 {print $1}'"];
  static override args = { file: Args.string({ required: true, description: 'topology file' }) };
  static override flags = { 'state-dir': connectionFlags['state-dir'] };

  async run(): Promise<StateListResult> {
    const { args, flags } = await this.parse(StateList);
    const grid = await loadTopology(args.file);
    const stateFile = statePaths(args.file, grid.name, flags['state-dir']).state;
    const state = await readState(stateFile, grid.name);
    const nodes = stateEntries(grid, state);
    this.say(formatStateList(nodes));
    // The footer goes to stderr, so that stdout is the table alone and `| awk 'NR>1 {print $1}'` yields the node names only.
    if (!this.jsonEnabled()) process.stderr.write(state.serial ? `\n${stateFile} (serial ${state.serial})\n` : `\nno state yet at ${stateFile}: nothing was applied to grid ${grid.name}\n`);
    return { grid: grid.name, stateFile, serial: state.serial, nodes };
  }
}
