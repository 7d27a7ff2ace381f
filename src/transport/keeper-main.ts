/**
 * Entry point of the connection keeper process (see keeper-server.ts), started detached by a run
 * with `--persist`: node keeper-main.js SOCKET KNOWN_HOSTS IDLE_MS MAX_MS.
 */
import { runKeeper } from './keeper-server.js';

const [socket, knownHostsFile, idleMs, maxMs] = process.argv.slice(2);
if (!socket || !knownHostsFile || !idleMs || !maxMs) {
  process.stderr.write('usage: keeper-main.js SOCKET KNOWN_HOSTS IDLE_MS MAX_MS\n');
  process.exit(64);
}
process.title = 'gridops-keeper';
runKeeper({ socket, knownHostsFile, idleMs: Number(idleMs), maxMs: Number(maxMs) }).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`gridops keeper: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
