import { createServer, type Server } from 'node:http';
import { LEAVE_NOT_RECORDED_HTTP_STATUS, LeaveNotRecordedError } from './leave-not-recorded.js';
import { LEAVE_TOKEN_HEADER, leaveTokenMatches } from './leave-token.js';

/**
 * Local observability: GET /status (JSON) and GET /metrics (Prometheus text), read-only; and POST
 * /leave, which makes the agent leave the grid for good (`gridagent leave`, before a decommission),
 * only for a request that presents this run's leave token (leave-token.ts says why).
 */
export function startHttpServer(
  bind: string,
  port: number,
  handlers: { status: () => unknown; metrics: () => string; leave?: () => Promise<unknown>; leaveToken?: string },
): Promise<Server> {
  const server = createServer((request, response) => {
    try {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method === 'POST' && path === '/leave' && handlers.leave) {
        if (handlers.leaveToken === undefined || !leaveTokenMatches(request.headers[LEAVE_TOKEN_HEADER], handlers.leaveToken)) {
          response.writeHead(403, { 'content-type': 'text/plain' }).end('POST /leave needs the token the agent wrote beside its state file (readable by root only): run `gridagent leave` as root on the node\n');
          return;
        }
        handlers
          .leave()
          .then((result) => response.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(result)}\n`))
          // A leave it could not record gets its own status: the node is still a member, and the
          // decommission must stop on it rather than remove the node as if it had left.
          .catch((error: unknown) =>
            error instanceof LeaveNotRecordedError
              ? response.writeHead(LEAVE_NOT_RECORDED_HTTP_STATUS, { 'content-type': 'text/plain' }).end(`${error.message}\n`)
              : response.writeHead(500).end(String(error)),
          );
      } else if (request.method !== 'GET') {
        response.writeHead(405, { allow: 'GET' }).end();
      } else if (path === '/status') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(handlers.status(), null, 2)}\n`);
      } else if (path === '/metrics') {
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(handlers.metrics());
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('try /status or /metrics\n');
      }
    } catch (error) {
      response.writeHead(500).end(String(error));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => resolve(server));
  });
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
