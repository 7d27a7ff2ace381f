import { Args, Flags } from '@oclif/core';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GridopsCommand } from '../base-command.js';
import { cannotWrite, checkOutputFile, outFileHint } from '../fs/output-file.js';
import { connectionFlags, interruptOnSignals } from '../cli-flags.js';
import { InterruptedError, UsageError } from '../errors/index.js';
import { interruptNotice } from '../formatters/interrupt-notice.js';
import { gridGraph } from '../graph/grid-graph.js';
import { renderGraph, type GraphFormat } from '../graph/render-graph.js';
import { runMessages } from '../formatters/run-messages.js';
import { gridStatus } from '../status/grid-status.js';
import { loadTopology } from '../topology/load.js';
import { plural } from '../plural.js';

export interface GraphResult {
  format: GraphFormat;
  live: boolean;
  /** Set with --live: how many nodes answered over SSH, and how many agents answered. */
  reachable?: number;
  agentsAnswering?: number;
  output: string;
}

export default class GraphCommand extends GridopsCommand<GraphResult> {
  static override summary = 'Draw the grid: regions, sub-grids and nodes, with the live super peers and region peers (--live)';
  static override description = 'Prints Graphviz DOT, or SVG laid out by Graphviz compiled to WebAssembly (no system binary needed). Without --live it draws the topology and connects to nothing; with --live it asks every agent, as `status` does, and marks the super peers (filled) and region peers (double red border), with an arrow from each node to the super peer it follows and from each super peer to its region peer.';
  static override examples = ['<%= config.bin %> graph topology.yaml --format svg --out grid.svg', '<%= config.bin %> graph topology.yaml --live --format svg --out grid.svg', '<%= config.bin %> graph topology.yaml | dot -Tpng > grid.png'];
  static override args = { file: Args.string({ required: true, description: 'topology file' }) };
  static override flags = {
    format: Flags.string({ description: 'output format', options: ['dot', 'svg'], default: 'dot' }),
    out: Flags.string({ char: 'o', description: 'write to this file instead of stdout' }),
    live: Flags.boolean({ description: "connect (verified host keys) and mark what the agents answer: super peers, region peers, who follows whom", default: false }),
    // With --live only (checked in run).
    concurrency: connectionFlags.concurrency,
    'state-dir': connectionFlags['state-dir'],
  };

  async run(): Promise<GraphResult> {
    const { args, flags, metadata } = await this.parse(GraphCommand);
    // Only --live connects and reads the state: without it these would be ignored. Checked here rather
    // than with oclif's dependsOn, which counts --concurrency's default as given and would refuse every plain graph.
    const needLive = (['concurrency', 'state-dir'] as const).filter((name) => flags[name] !== undefined && !metadata.flags[name]?.setFromDefault);
    if (!flags.live && needLive.length) {
      throw new UsageError(`${needLive.map((name) => `--${name}`).join(' and ')} only ${needLive.length > 1 ? 'work' : 'works'} with --live: without it, graph draws the topology and connects to nothing`, `add --live to ask the agents, or leave ${needLive.length > 1 ? 'them' : 'it'} out`);
    }
    const format = flags.format as GraphFormat;
    const outHint = outFileHint(`grid.${format}`);
    const grid = await loadTopology(args.file);
    // Before --live connects, as plan checks its --out: a drawing of a large grid is not lost at the end.
    if (flags.out) await checkOutputFile(flags.out, outHint);
    let result: Omit<GraphResult, 'output'> = { format, live: flags.live };
    let graph = gridGraph(grid);
    if (flags.live) {
      const messages = runMessages({ json: this.jsonEnabled(), verbose: this.verbose });
      const started = Date.now();
      // Ctrl-C or SIGTERM stops the connects and exits 130, as status does.
      const interrupt = interruptOnSignals((signal) => messages.signalled('interrupt', signal, interruptNotice(signal, 'planning', 'graph')));
      const status = await gridStatus(args.file, { concurrency: flags.concurrency, stateDir: flags['state-dir'], warn: messages.warn, signal: interrupt.signal }).finally(interrupt.dispose);
      if (interrupt.signal.aborted) throw new InterruptedError('interrupted: graph stopped before every node answered; nothing was changed', 'run it again');
      graph = gridGraph(grid, new Map(status.nodes.map((n) => [n.node, n])));
      const agentsAnswering = status.nodes.filter((n) => n.agent && n.agent.role !== 'not answering').length;
      result = { ...result, reachable: status.reachable, agentsAnswering };
      // A progress line: with --json a JSON line on stderr, as every line a command says there.
      messages.progress(`${status.reachable}/${status.nodes.length} nodes reachable, ${plural(agentsAnswering, 'agent')} answered`, Date.now() - started);
    }
    const output = await renderGraph(graph, format);
    if (flags.out) await writeGraph(flags.out, output, outHint);
    else if (!this.jsonEnabled()) process.stdout.write(output);
    return { ...result, output };
  }
}

/** Writes the drawing to --out, its directories made as plan --out makes them; a path it cannot write is said with the path, as every gridops error, not as Node's raw error. */
async function writeGraph(file: string, output: string, hint: string): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, output);
  } catch (err) {
    throw cannotWrite(file, err, hint);
  }
}
