import { createServer, type Server } from 'node:http';
import { HttpConnections } from './http-connections.js';
import { LEAVE_NOT_RECORDED_HTTP_STATUS, LeaveNotRecordedError } from './leave-not-recorded.js';
import { LEAVE_TOKEN_HEADER, leaveTokenMatches } from './leave-token.js';

/**
 * What one client may cost the agent. The server runs on the tick's thread, so a client must not be
 * able to hold it or its memory: with Node's defaults a request could take 300 s to send its headers
 * (60 s before Node 18.14), and any number of such connections could be held open.
 */
export interface HttpLimits {
  /**
   * Connections held at once, in total and from one remote address (a poller and a scraper need a
   * few). A newcomer over either takes the place of the oldest connection with no request being
   * answered (http-connections.ts), so that idle connections cannot keep a request out.
   */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Time to send the headers, then the whole request (ms). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (ms). */
  keepAliveTimeoutMs: number;
  /** How often Node looks for requests past those timeouts (ms; its default is 30 s). */
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { maxConnections: 64, maxConnectionsPerAddress: 16, headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, keepAliveTimeoutMs: 1_000, checkIntervalMs: 1_000 };

/**
 * Local observability: GET /status (JSON) and GET /metrics (Prometheus text), read-only; and POST
 * /leave, which makes the agent leave the grid for good (`gridagent leave`, before a decommission),
 * only for a request that presents this run's leave token (leave-token.ts says why).
 *
 * /status is compact JSON, built once for each value of `statusVersion` (the daemon's: one per tick,
 * another as soon as a role, term or leader changes, and another once the node left): at 2,000 members it was rebuilt and pretty-printed (477 KiB) on
 * every request. Its readers parse it, and `gridagent status --json` indents it on the reader's side
 * (status-view.ts).
 */
export function startHttpServer(
  bind: string,
  port: number,
  handlers: {
    status: () => unknown;
    statusVersion?: () => unknown;
    metrics: () => string;
    leave?: () => Promise<unknown>;
    leaveToken?: string;
    /** True until the agent can answer (its core not made yet): every request gets 503. */
    starting?: () => boolean;
    /** An error the server raises once it listens (EMFILE on accept); by default said on stderr, once per code. */
    onError?: (error: NodeJS.ErrnoException) => void;
  },
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): Promise<Server> {
  let statusBody: { text: string; version: unknown } | null = null;
  const statusText = (): string => {
    // Without a version every request builds its own body.
    const version = handlers.statusVersion?.() ?? {};
    if (statusBody === null || statusBody.version !== version) statusBody = { text: `${JSON.stringify(handlers.status())}\n`, version };
    return statusBody.text;
  };
  const options = { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: limits.checkIntervalMs };
  const connections = new HttpConnections({ maxConnections: limits.maxConnections, maxConnectionsPerAddress: limits.maxConnectionsPerAddress, stalledAfterMs: limits.requestTimeoutMs });
  const server = createServer(options, (request, response) => {
    const inFlight = connections.requestStarted(request.socket);
    response.once('close', inFlight.done);
    // Every answer ends here: the connection's limits count a client's time to read it from now on.
    const reply = (status: number, headers: Record<string, string>, body?: string): void => {
      inFlight.responded();
      if (!response.headersSent) response.writeHead(status, headers);
      response.end(body);
    };
    try {
      const path = (request.url ?? '/').split('?')[0];
      if (handlers.starting?.()) {
        // The agent listens before its core exists (daemon.ts binds every port before it writes a file): nothing to report or leave yet.
        reply(503, { 'content-type': 'text/plain', 'retry-after': '1' }, 'the agent is starting: ask again in a moment\n');
      } else if (request.method === 'POST' && path === '/leave' && handlers.leave) {
        if (handlers.leaveToken === undefined || !leaveTokenMatches(request.headers[LEAVE_TOKEN_HEADER], handlers.leaveToken)) {
          reply(403, { 'content-type': 'text/plain' }, 'POST /leave needs the token the agent wrote beside its state file (readable by root only): run `gridagent leave` as root on the node\n');
          return;
        }
        handlers
          .leave()
          .then((result) => reply(200, { 'content-type': 'application/json' }, `${JSON.stringify(result)}\n`))
          // A leave it could not record gets its own status: the node is still a member, and the
          // decommission must stop on it rather than remove the node as if it had left.
          .catch((error: unknown) =>
            error instanceof LeaveNotRecordedError ? reply(LEAVE_NOT_RECORDED_HTTP_STATUS, { 'content-type': 'text/plain' }, `${error.message}\n`) : reply(500, {}, String(error)),
          );
      } else if (request.method !== 'GET') {
        reply(405, { allow: 'GET' });
      } else if (path === '/status') {
        // The body before the head: a status that cannot be built is a 500, not a half-sent 200.
        const body = statusText();
        reply(200, { 'content-type': 'application/json' }, body);
      } else if (path === '/metrics') {
        const body = handlers.metrics();
        reply(200, { 'content-type': 'text/plain; version=0.0.4' }, body);
      } else {
        reply(404, { 'content-type': 'text/plain' }, 'try /status or /metrics\n');
      }
    } catch (error) {
      reply(500, {}, String(error));
    }
  });
  // Counted here rather than by server.maxConnections, which refuses the newcomer.
  server.on('connection', (socket) => connections.accept(socket));
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      // The start's listener goes once it listens, and a lasting one takes its place: left to a
      // later error (EMFILE on accept), it was used up by the first, and the second was an
      // unhandled 'error' event, which ended the agent.
      server.off('error', reject);
      server.on('error', handlers.onError ?? saidOncePerCode());
      resolve(server);
    });
  });
}

/**
 * Says a server error the first time its code comes (EMFILE recurs at every accept while it
 * lasts): through `say` (the daemon's JSON log), else on stderr, which the journal keeps.
 */
export function saidOncePerCode(say: (message: string, code: string) => void = (message) => void process.stderr.write(`gridagent: ${message}\n`)): (error: NodeJS.ErrnoException) => void {
  const said = new Set<string>();
  return (error) => {
    const code = error.code ?? error.message;
    if (said.has(code)) return;
    said.add(code);
    say(`the HTTP server (/status, /metrics) failed: ${error.message}; it goes on serving`, code);
  };
}

/**
 * Stops the server and drops its connections. `close()` alone waits for every keep-alive
 * connection to go idle, and a client that polls (a scraper, a status loop) never lets it: found
 * by the rolling-upgrade e2e, where each agent restart waited out systemd's 15 s stop timeout.
 */
export function stopHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
