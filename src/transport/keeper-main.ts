/**
 * Entry point of the connection keeper process (see keeper-server.ts), started detached by a run
 * with `--persist`: node keeper-main.js SOCKET KNOWN_HOSTS IDLE_MS MAX_MS, with the known_hosts
 * content the run read (and named the socket after) on stdin: the keeper verifies against exactly
 * that, not the file as it may be by the time the keeper reads it.
 */
import { runKeeper } from './keeper-server.js';

const [socket, knownHostsFile, idleMs, maxMs] = process.argv.slice(2);
if (!socket || !knownHostsFile || !idleMs || !maxMs) {
  process.stderr.write('usage: keeper-main.js SOCKET KNOWN_HOSTS IDLE_MS MAX_MS < KNOWN_HOSTS_CONTENT\n');
  process.exit(64);
}
process.title = 'gridops-keeper';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

readStdin()
  .then((knownHostsContent) => runKeeper({ socket, knownHostsFile, knownHostsContent, idleMs: Number(idleMs), maxMs: Number(maxMs) }))
  .then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`gridops keeper: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
