#!/usr/bin/env node
// The SSH floor: what any tool must pay to do one thing on every host, measured with the same
// library gridops uses (ssh2), from one process: per host a TCP connect, the key exchange, the host
// key checked against known_hosts (exact match), public-key authentication, and one exec of `true`,
// `--concurrency` hosts at a time (gridops' default, 50). Nothing else: no topology, no facts.
// `--command SCRIPT` execs SCRIPT in place of `true` (with `{host}` replaced by the host's
// address): the bench's work floor, the 3-task work done blind in one exec (provision.js).
//   node bench/provision/ssh-floor.js --topology FILE --known-hosts FILE --identity FILE [--concurrency 50] [--command SCRIPT]
// Prints one JSON line: { hosts, ms } (ms from the first handshake to the last close; the bench also
// times the whole process, start-up included, which is what a CLI's wall clock is compared with).
//
// The floor uses gridops' own transport tricks, the very modules (from dist/, built before the
// bench), so that what a gridops run costs above it is gridops' own work and not a handicap of the
// floor's: the first --concurrency hosts dialled over TCP at process start, before ssh2 loads, and
// each socket handed to its first handshake as `sock` (transport/early-dials.ts); ssh2's client and
// key parser required alone, not its index (ssh2-client.ts); the identity parsed once
// and signing through a KeyObject (key-object-signing.ts); OpenSSH's announced host keys left
// unanswered, not proved (skip-host-key-proofs.ts); a tick's writes in one system call after the
// handshake (coalesce-writes.ts). What it keeps: the host key checked against known_hosts for every
// host, as gridops checks it, and one exec per host.
// ssh2 itself loads from node_modules, as any program using it loads it: gridops' bundle of ssh2's
// client and its code cache (scripts/bundle-cli.js, scripts/ssh2-code-cache.js) are start-up work
// of gridops, as its CLI bundle is (README: the floor measured with them too, 2026-12-07).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EarlyDials } from '../../dist/transport/early-dials.js';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  if (fallback === undefined) throw new Error(`ssh-floor: --${name} is required`);
  return fallback;
};
const addresses = [...readFileSync(arg('topology'), 'utf8').matchAll(/address: ([0-9.]+)/g)].map((m) => m[1]);
const concurrency = Number(arg('concurrency', '50'));
// Dialled before anything else loads, as gridops dials once it has read its topology (fleet.ts).
const earlyDials = new EarlyDials();
await earlyDials.dialFirst(addresses.map((host) => ({ host })), concurrency);

const require = createRequire(import.meta.url);
const Client = require('ssh2/lib/client.js');
const { parseKey } = require('ssh2/lib/protocol/keyParser.js');
const { withKeyObjectSigning } = await import('../../dist/transport/key-object-signing.js');
const { skipHostKeyProofs } = await import('../../dist/transport/skip-host-key-proofs.js');
const { coalesceWrites } = await import('../../dist/transport/coalesce-writes.js');

const known = new Map();
for (const line of readFileSync(arg('known-hosts'), 'utf8').split('\n')) {
  const [host, , key] = line.trim().split(/\s+/);
  if (host && key) known.set(host, Buffer.from(key, 'base64'));
}
const parsed = parseKey(readFileSync(arg('identity')));
if (parsed instanceof Error) throw new Error(`ssh-floor: --identity: ${parsed.message}`);
const identity = withKeyObjectSigning(Array.isArray(parsed) ? parsed[0] : parsed);
const command = arg('command', 'true');

function once(host) {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.on('error', reject);
    client.on('ready', () => {
      const sock = client._sock;
      if (sock) coalesceWrites(sock);
      client.exec(command.replaceAll('{host}', host), (err, channel) => {
        if (err) return reject(err);
        channel.on('close', (code) => {
          client.end();
          if (code === 0) resolve();
          else reject(new Error(`${host}: ${command} exited ${code}`));
        });
        channel.resume();
        channel.stderr.resume();
      });
    });
    // A host's first handshake takes its dialled socket; a retry dials afresh (take gives it once).
    const sock = earlyDials.take(host, 22);
    client.connect({
      host,
      port: 22,
      username: 'root',
      authHandler: [{ type: 'publickey', username: 'root', key: identity }],
      readyTimeout: 30_000,
      hostVerifier: (key) => known.get(host)?.equals(key) === true,
      algorithms: { serverHostKey: ['ssh-ed25519'] },
      ...(sock ? { sock } : {}),
    });
    if (!skipHostKeyProofs(client)) throw new Error('ssh-floor: this ssh2 has no host-keys handler to wrap (skip-host-key-proofs.ts); the floor would prove host keys gridops does not');
    client.setNoDelay(true);
  });
}

/** Like gridops (transport/retry.ts), a connection that fails before the handshake is tried again, up to 3 times. */
async function withRetry(host) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await once(host);
    } catch (err) {
      if (attempt >= 3 || err.level !== 'client-socket') throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}

const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(concurrency, addresses.length) }, async () => {
    while (next < addresses.length) await withRetry(addresses[next++]);
  }),
);
earlyDials.closeAll();
console.log(JSON.stringify({ hosts: addresses.length, ms: Math.round(performance.now() - t0) }));
