/**
 * What the keeper's tests talk to: an in-process ssh2 server whose commands answer after the
 * `sleep N` they name, and a run's raw side of the keeper's socket.
 */
import { createRequire } from 'node:module';
import { createConnection, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ed25519Pair } from '../support/ssh2-ed25519.js';

const ssh2 = createRequire(import.meta.url)('ssh2') as typeof import('ssh2');

/** An ssh2 server that accepts `clientKey` and answers every command after the `sleep N` in it (at once without one), exit 0. */
export async function startSleepingHost(clientKey: Buffer): Promise<{ port: number; hostKey: Buffer; stop: () => Promise<void> }> {
  const pair = ed25519Pair();
  const clients = new Set<import('ssh2').Connection>();
  // The answers still to come: a command whose client went away is never answered.
  const answers = new Set<NodeJS.Timeout>();
  const server = new ssh2.Server({ hostKeys: [pair.private] }, (client) => {
    clients.add(client);
    client.on('error', () => undefined);
    client.on('close', () => clients.delete(client));
    client.on('authentication', (ctx) => (ctx.method === 'publickey' && ctx.key.data.equals(clientKey) ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('ready', () =>
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          const seconds = Number(/sleep (\d+)/.exec(info.command)?.[1] ?? 0);
          const answer = setTimeout(() => {
            answers.delete(answer);
            channel.write('done\n');
            channel.exit(0);
            channel.end();
          }, seconds * 1000);
          answers.add(answer);
        });
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    hostKey: Buffer.from(pair.public.split(' ')[1]!, 'base64'),
    stop: async () => {
      for (const a of answers) clearTimeout(a);
      for (const c of clients) c.end();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A run's raw side of the socket: one JSON line per request, its answer by id; every answer rejects once the keeper lets go. */
export function dialKeeper(path: string): Promise<{ socket: Socket; ask: (req: Record<string, unknown>) => Promise<{ ok: boolean; value?: unknown; error?: { message: string } }>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const waiting = new Map<number, { resolve: (r: never) => void; reject: (e: Error) => void }>();
    let nextId = 1;
    let buffer = '';
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      buffer += data;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const reply = JSON.parse(buffer.slice(0, nl)) as { id: number; chunk?: string };
        buffer = buffer.slice(nl + 1);
        if (reply.chunk === undefined) waiting.get(reply.id)?.resolve(reply as never);
      }
    });
    socket.on('close', () => {
      for (const w of waiting.values()) w.reject(new Error('the keeper went away'));
    });
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        socket,
        closed,
        ask: (req) =>
          new Promise((res, rej) => {
            const id = nextId++;
            waiting.set(id, { resolve: res, reject: rej });
            socket.write(`${JSON.stringify({ ...req, id })}\n`);
          }),
      }),
    );
  });
}

export async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (check()) return true;
  return check();
}
