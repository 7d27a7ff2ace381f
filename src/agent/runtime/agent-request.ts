import { request } from 'node:http';

/** The agent answered, and refused (or, on /status, answered with an error): what it said, with its HTTP status. */
export class AgentRefusedError extends Error {
  override readonly name = 'AgentRefusedError';

  constructor(
    readonly status: number | undefined,
    readonly reason: string,
  ) {
    super(`HTTP ${status}: ${reason}`);
  }
}

/**
 * One request to the running agent's HTTP endpoint, for the `gridagent` commands that talk to it:
 * the JSON of its 200 answer. Any other status rejects with AgentRefusedError, so a caller tells
 * an agent that answered (a 500, a 403, or another server's 404 on that port) from one that is down.
 */
export function agentRequest<T>(host: string, port: number, what: { method: 'GET' | 'POST'; path: string; headers?: Record<string, string> }, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: what.path, method: what.method, timeout: timeoutMs, headers: what.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) return reject(new AgentRefusedError(response.statusCode, body.trim()));
        try {
          resolve(JSON.parse(body) as T);
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
