import { Args, Flags } from '@oclif/core';
import { GridopsCommand, ExitCode } from '../base-command.js';
import { connectionFlags, connectionRunOptions, durationFlag, interruptOnSignals } from '../cli-flags.js';
import { InterruptedError } from '../errors/index.js';
import { interruptNotice } from '../formatters/interrupt-notice.js';
import { formatGridStatus } from '../formatters/grid-status.js';
import { runMessages } from '../formatters/run-messages.js';
import { gridStatus, type GridStatus } from '../status/grid-status.js';
import { statusFailures, type StatusFailure } from '../status/status-failures.js';

export default class Status extends GridopsCommand<GridStatus & { failures: StatusFailure[] }> {
  static override summary = "Show the grid's status: every node's reachability, facts, last apply and agent role";
  static override description = 'Connects with verified host keys and changes nothing. Exits 1 when a node is unreachable, when --wait runs out before the overlay converged, or (--strict) when a node is not in sync (another topology, playbooks or gridops applied it, its last run failed or stopped before it, or it owes handlers), runs no agent or another version than the state records, the overlay has not converged, a first election waits for nodes where no agent runs yet (never waited for) or a sandbox VM is not running or cannot be read; --wait and --strict also when the reachable nodes of a sub-grid run no agent at all; stderr (or the failures field of --json) says why. For monitoring: --strict --wait 10s.';
  static override examples = ['<%= config.bin %> status topology.yaml', '<%= config.bin %> status topology.yaml --wait 30s --json', '<%= config.bin %> status --limit eu-west/rennes-a,label:gpu=true topology.yaml'];
  static override args = { file: Args.string({ required: true, description: 'topology file' }) };
  static override flags = {
    concurrency: connectionFlags.concurrency,
    // The sandbox VMs are read with sudo: a sudo that asks for a password needs it.
    'ask-become-pass': connectionFlags['ask-become-pass'],
    limit: connectionFlags.limit,
    'state-dir': connectionFlags['state-dir'],
    strict: Flags.boolean({ description: 'also exit 1 when a node is not in sync with this topology, the overlay has not converged, a first election waits for nodes without an agent, or a sandbox VM is not running (with --wait 10s, an election under way is waited for)', default: false }),
    wait: Flags.string({ description: "wait up to this long (e.g. 30s) until every agent answers, every sub-grid has exactly one super peer and every region exactly one region peer (not for a first election that waits for nodes where no agent runs yet)" }),
  };

  async run(): Promise<GridStatus & { failures: StatusFailure[] }> {
    const { args, flags } = await this.parse(Status);
    const waitUntil = flags.wait ? Date.now() + durationFlag('wait', flags.wait) : undefined;
    const messages = runMessages({ json: this.jsonEnabled(), verbose: this.verbose });
    // Ctrl-C or SIGTERM stops the connects and the --wait, and exits 130 as every command (a second one at once).
    const interrupt = interruptOnSignals((signal) => messages.signalled('interrupt', signal, interruptNotice(signal, 'planning', 'status')));
    // The prompt of connectionRunOptions, the one every connecting command asks with (status accepts no new host key, and --limit is gridStatus's own).
    const { becomePrompt } = connectionRunOptions({ ...flags, 'accept-new-host-keys': false }, interrupt.signal);
    const status = await gridStatus(args.file, { concurrency: flags.concurrency, stateDir: flags['state-dir'], waitUntil, limit: flags.limit, warn: messages.warn, signal: interrupt.signal, becomePrompt }).finally(interrupt.dispose);
    // What was seen until then is no status to judge (nodes cut off mid-connect read as unreachable): the error carries it for --json.
    if (interrupt.signal.aborted) throw Object.assign(new InterruptedError('interrupted: status stopped before every node answered; nothing was changed', 'run it again'), { result: status });
    this.say(formatGridStatus(status));
    const failures = statusFailures(status, { strict: flags.strict, waited: flags.wait !== undefined }, { file: args.file, stateDir: flags['state-dir'], askBecomePass: flags['ask-become-pass'], json: this.jsonEnabled() });
    if (failures.length) {
      if (!this.jsonEnabled()) for (const f of failures) process.stderr.write(`error: ${f.message}\nhint: ${f.hint}\n`);
      process.exitCode = ExitCode.FAILURE;
    }
    return { ...status, failures };
  }
}
