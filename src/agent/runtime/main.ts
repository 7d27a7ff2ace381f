import './require-shim.js';
import { AGENT_VERSION } from '../version.js';
import { resolveBindAddress } from './bind-address.js';
import { type AgentArgs, AgentUsageError, DEFAULT_AGENT_CONFIG, type HttpEndpoint, parseAgentArgs } from './cli-args.js';
import { AgentConfigError, loadAgentConfig } from './config.js';
import { AgentDaemon } from './daemon.js';
import { holdFailedStart } from './failed-start-hold.js';
import { GridKeyError } from './grid-key.js';
import { jsonLogger } from './logger.js';
import { leaveMarkerPath, removeLeaveMarker } from './leave-marker.js';
import { LEAVE_NOT_RECORDED_EXIT_CODE, LEAVE_NOT_RECORDED_HTTP_STATUS } from './leave-not-recorded.js';
import { leaveTokenPath, readLeaveToken } from './leave-token.js';
import { PORT_IN_USE_EXIT_CODE, PortInUseError } from './port-in-use.js';
import { StartWriteError } from './start-write-error.js';
import { StateFileError } from './state-file.js';
import { AgentRefusedError } from './agent-request.js';
import { fetchStatus, requestLeave } from './status-command.js';
import { renderStatusView } from './status-view.js';

const USAGE = `usage: gridagent [run] [--config FILE]       run the overlay agent (default config ${DEFAULT_AGENT_CONFIG})
       gridagent status [--config FILE] [--json] [--http HOST:PORT]
       gridagent members [--config FILE] [--json] [--http HOST:PORT]   the sub-grid's members (ask a super peer or mirror)
       gridagent leave [--config FILE] [--http HOST:PORT]   leave the grid for good (before a decommission)
       gridagent rejoin [--config FILE]   undo a leave: remove its marker, then restart the agent
       gridagent --version
`;

/** Entry point of the bundled dist/gridagent.mjs. */
async function main(argv: string[]): Promise<number> {
  let args: AgentArgs;
  try {
    args = parseAgentArgs(argv);
  } catch (error) {
    if (!(error instanceof AgentUsageError)) throw error;
    process.stderr.write(`gridagent: ${error.message}\n${USAGE}`);
    return 64;
  }
  if (args.command === 'version') {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  if (args.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    if (args.command === 'status' || args.command === 'members') return await status(args.config, args.http, args.json, args.command);
    if (args.command === 'leave') return await leave(args.config, args.http);
    if (args.command === 'rejoin') return rejoin(args.config);
    const config = loadAgentConfig(args.config);
    // One window for the start's wait for its address: a bind name resolving here, then the bind in start().
    const addressWait = { startedAt: performance.now() };
    const log = jsonLogger(config.node, config.logLevel);
    const daemon = new AgentDaemon(await resolveBindAddress(config, { ...addressWait, onWait: (line) => log.warn(line, { bind: config.bind }) }));
    await daemon.start(addressWait);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void daemon.stop(signal).then(() => process.exit(0));
      });
    }
    return -1;
  } catch (error) {
    // systemd starts a failed agent again with no start limit: a start that fails every time runs every 2 s, not 10 times a second.
    if (args.command === 'run') await holdFailedStart(0);
    if (error instanceof AgentConfigError || error instanceof GridKeyError || error instanceof StateFileError) {
      process.stderr.write(`gridagent: ${error.message}\n`);
      return 78;
    }
    if (error instanceof PortInUseError) {
      process.stderr.write(`gridagent: ${error.message}\n`);
      return PORT_IN_USE_EXIT_CODE;
    }
    if (error instanceof StartWriteError) {
      process.stderr.write(`gridagent: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`gridagent: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

/** The agent's local HTTP endpoint: --http, else the config's. */
function endpoint(configPath: string, http: HttpEndpoint | null): HttpEndpoint {
  if (http !== null) return http;
  const config = loadAgentConfig(configPath);
  return { host: localAddressOf(config.http.bind), port: config.http.port };
}

async function leave(configPath: string, http: HttpEndpoint | null): Promise<number> {
  const { host, port } = endpoint(configPath, http);
  const tokenFile = leaveTokenPath(loadAgentConfig(configPath).stateFile);
  let token: string | undefined;
  try {
    token = readLeaveToken(tokenFile);
  } catch (error) {
    process.stderr.write(`gridagent: cannot read the leave token ${tokenFile}: ${(error as Error).message}; run gridagent leave as root on the node\n`);
    return 77;
  }
  try {
    const result = await requestLeave(host, port, token);
    process.stdout.write(`left the grid for good${result.successor ? `; ${result.successor} took over as super peer` : ''}; the agent stays idle until it is stopped\n`);
    return 0;
  } catch (error) {
    if (error instanceof AgentRefusedError && error.status === LEAVE_NOT_RECORDED_HTTP_STATUS) {
      process.stderr.write(`gridagent: ${error.reason}\n`);
      return LEAVE_NOT_RECORDED_EXIT_CODE;
    }
    if (error instanceof AgentRefusedError) {
      process.stderr.write(`gridagent: the agent at ${httpUrl(host, port)} refused to leave: ${error.message}\n`);
      return 77;
    }
    process.stderr.write(`gridagent: cannot reach the agent at ${httpUrl(host, port)}/leave: ${(error as Error).message}; is it running?\n`);
    return 69;
  }
}

/**
 * Undoes a leave (one interrupted, or made by mistake): removes the marker that keeps the agent
 * idle. It restarts nothing: the operator restarts the agent, which then signs the node in again.
 */
function rejoin(configPath: string): number {
  const marker = leaveMarkerPath(loadAgentConfig(configPath).stateFile);
  try {
    const removed = removeLeaveMarker(marker);
    process.stdout.write(
      removed
        ? `removed ${marker}: restart the agent (systemctl restart gridagent) and the node signs in to the grid again\n`
        : `no leave marker at ${marker}: this node has not left the grid (a running agent that is idle stays so until it is restarted)\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`gridagent: cannot remove the leave marker ${marker}: ${(error as Error).message}; run gridagent rejoin as root on the node\n`);
    return 77;
  }
}

async function status(configPath: string, http: HttpEndpoint | null, json: boolean, view: 'status' | 'members'): Promise<number> {
  const { host, port } = endpoint(configPath, http);
  try {
    const result = await fetchStatus(host, port);
    process.stdout.write(renderStatusView(result, view, json));
    return 0;
  } catch (error) {
    // Something answered, with an error (the agent's 500, another server's 404): not "is it running?".
    if (error instanceof AgentRefusedError) {
      process.stderr.write(`gridagent: the agent at ${httpUrl(host, port)} answered HTTP ${error.status}: ${error.reason.split('\n')[0]}\n`);
      return ANSWERED_AN_ERROR_EXIT_CODE;
    }
    process.stderr.write(`gridagent: cannot reach the agent at ${httpUrl(host, port)}/status: ${(error as Error).message}; is it running?\n`);
    return 69;
  }
}

/** `gridagent status` and `members` where the HTTP endpoint answered with an error status (sysexits' EX_PROTOCOL). */
const ANSWERED_AN_ERROR_EXIT_CODE = 76;

/** The endpoint's URL, an IPv6 host in brackets. */
function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Where to reach an agent bound to `bind` from its own host: a wildcard bind answers on loopback. */
function localAddressOf(bind: string): string {
  return bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '::1' : bind;
}

void main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exit(code);
});
