#!/usr/bin/env node
// The SSH floor: what any tool must pay to do one thing on every host, measured with the same
// library gridops uses (ssh2), from one process: per host a TCP connect, the key exchange, the host
// key checked against known_hosts (exact match), public-key authentication, and one exec of `true`,
// `--concurrency` hosts at a time (gridops' default, 50). Nothing else: no topology, no facts.
// `--command SCRIPT` execs SCRIPT in place of `true` (with `{host}` replaced by the host's
// address): the bench's work floor, the 3-task work done blind in one exec (provision.js).
//   node bench/provision/ssh-floor.js --topology FILE --known-hosts FILE --identity FILE [--concurrency 50] [--command SCRIPT]
// Prints one JSON line: { hosts, ms } (ms from the first connect to the last close; the bench also
// times the whole process, start-up included, which is what a CLI's wall clock is compared with).
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  if (fallback === undefined) throw new Error(`ssh-floor: --${name} is required`);
  return fallback;
};
const addresses = [...readFileSync(arg('topology'), 'utf8').matchAll(/address: ([0-9.]+)/g)].map((m) => m[1]);
const known = new Map();
for (const line of readFileSync(arg('known-hosts'), 'utf8').split('\n')) {
  const [host, , key] = line.trim().split(/\s+/);
  if (host && key) known.set(host, Buffer.from(key, 'base64'));
}
const privateKey = readFileSync(arg('identity'));
const concurrency = Number(arg('concurrency', '50'));
const command = arg('command', 'true');

function once(host) {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('error', reject);
    client.on('ready', () =>
      client.exec(command.replaceAll('{host}', host), (err, channel) => {
        if (err) return reject(err);
        channel.on('close', (code) => {
          client.end();
          if (code === 0) resolve();
          else reject(new Error(`${host}: ${command} exited ${code}`));
        });
        channel.resume();
        channel.stderr.resume();
      }),
    );
    client.connect({
      host,
      port: 22,
      username: 'root',
      privateKey,
      readyTimeout: 30_000,
      hostVerifier: (key) => known.get(host)?.equals(key) === true,
      algorithms: { serverHostKey: ['ssh-ed25519'] },
    });
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
console.log(JSON.stringify({ hosts: addresses.length, ms: Math.round(performance.now() - t0) }));
