/**
 * Entry point of the connection keeper process (see keeper-server.ts), started detached by a run
 * with `--persist`: node keeper-main.js SOCKET IDLE_MS MAX_MS, with the known_hosts files the run
 * read (and named the socket after) on stdin, as JSON [{file, text, readOnly, missing?}]: the
 * user's file, then the global ones. The keeper verifies against exactly those texts, not the files
 * as they may be by the time the keeper reads them; nothing of them is written to disk.
 */
import type { KnownHostsText } from './known-hosts.js';
import { runKeeper } from './keeper-server.js';

const [socket, idleMs, maxMs] = process.argv.slice(2);
if (!socket || !idleMs || !maxMs) {
  process.stderr.write('usage: keeper-main.js SOCKET IDLE_MS MAX_MS < KNOWN_HOSTS_JSON\n');
  process.exit(64);
}
process.title = 'gridops-keeper';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The known_hosts texts from stdin; anything else is refused (a keeper with no files would refuse every host unsaid). */
function parseKnownHostsTexts(json: string): KnownHostsText[] {
  const value: unknown = JSON.parse(json);
  const isText = (t: unknown): t is KnownHostsText => {
    const k = t as Partial<KnownHostsText> | null;
    return typeof k === 'object' && k !== null && typeof k.file === 'string' && typeof k.text === 'string' && typeof k.readOnly === 'boolean' && (k.missing === undefined || typeof k.missing === 'boolean');
  };
  if (!Array.isArray(value) || value.length === 0 || !value.every(isText)) throw new Error('stdin is not the known_hosts files as JSON [{file, text, readOnly}]');
  return value;
}

readStdin()
  .then((json) => runKeeper({ socket, knownHosts: parseKnownHostsTexts(json), idleMs: Number(idleMs), maxMs: Number(maxMs) }))
  .then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`gridops keeper: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
