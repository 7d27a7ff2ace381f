#!/usr/bin/env node
// The CPU that reading ~/.ssh/config costs a run before any connection: sshConfigFor (what
// fleet.ts calls per node) for 500 nodes against a generated 300-block config, in four shapes:
// plain Host blocks, the same with one `Match user` block (a node may be looked up as a second
// user), with an Include under `Match user` (blocks inside a block, resolved per lookup), and with a
// `Match final` (compute() reads the file twice).
// Prints, per shape, the CPU ms of the 500 lookups, in a process's first run (as in a gridops run,
// which loads the file once) and the best of 5, the parser's compute() calls per node, and a
// digest of every answer: a change that makes lookups cheaper must leave it as it was.
// Run after `npm run build`:  node bench/ssh-config-lookups.js
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchFlagsOrExit } from './lib/bench-flags.js';

benchFlagsOrExit('ssh-config-lookups', process.argv.slice(2));
const { loadSshConfig, sshConfigFor } = await import('../dist/transport/ssh-config.js');
// The parser's class as loadSshConfig loads it (its CommonJS build), to count its compute() calls.
const { SSHConfig } = createRequire(import.meta.url)('ssh-config');

const NODES = 500;
const RUNS = 5;
const addressOf = (i) => `10.0.${i >> 8}.${i & 255}`;

/**
 * 300 blocks as a large fleet's file has them: a block per host name for 240 of the 500 nodes, a
 * block per address for 20 others, 30 wildcard blocks (by domain, by prefix with an exception),
 * 8 Match blocks on host names, then `Host *`.
 */
function blocks() {
  const lines = ['ServerAliveInterval 30'];
  for (let i = 0; i < 240; i++) lines.push(`Host web${i * 2} web${i * 2}.example.org`, `  Port ${2000 + i}`, `  IdentityFile ~/.ssh/web${i}`);
  for (let i = 0; i < 20; i++) lines.push(`Host ${addressOf(481 + (i % 19))}`, `  User addr${i}`, '  Port 2222');
  for (let i = 0; i < 30; i++) lines.push(`Host *.dc${i}.example.org db${i}* !db${i}0`, `  User dc${i}`, `  ProxyJump gw${i}.example.org`);
  for (let i = 0; i < 8; i++) lines.push(`Match originalhost gw${i}.example.org`, '  User gateway', `Match host 10.9.${i}.*`, '  Port 2022');
  lines.push('Host *', '  IdentityFile ~/.ssh/fleet');
  return lines;
}

const shapes = {
  plain: (dir) => blocks(),
  'Match user': (dir) => ['Match user root', '  IdentityFile ~/.ssh/root', ...blocks()],
  'Include under Match user': (dir) => {
    writeFileSync(join(dir, 'more.conf'), ['Host web1 web3', '  Port 3001', 'Host 10.0.1.*', '  IdentityFile ~/.ssh/rack1'].join('\n') + '\n', { mode: 0o600 });
    return [...blocks(), 'Match user root', `  Include ${join(dir, 'more.conf')}`];
  },
  // A second pass (readconf.c's final pass), whose Host lines judge the HostName the first gave: a
  // few names and addresses redirected to another's blocks, so that second pass matters.
  'Match final': (dir) => ['Match final', '  ServerAliveCountMax 3', 'Host web1?? !web11? 10.0.0.1?', '  HostName web2', ...blocks()],
};

const nodes = Array.from({ length: NODES }, (_, i) => ({ name: `web${i}`, address: addressOf(i) }));
const dir = mkdtempSync(join(tmpdir(), 'gridops-bench-ssh-config-'));
try {
  for (const [shape, linesOf] of Object.entries(shapes)) {
    const file = join(dir, `config-${shape.replace(/\W/g, '')}`);
    writeFileSync(file, linesOf(dir).join('\n') + '\n', { mode: 0o600 });
    let first;
    let best = Infinity;
    let calls = 0;
    let answers;
    for (let run = 0; run < RUNS; run++) {
      // A fresh load per run, as each gridops run loads the file once: nothing is carried over.
      const config = loadSshConfig(file, () => undefined, dir);
      const compute = SSHConfig.prototype.compute;
      let counted = 0;
      SSHConfig.prototype.compute = function (...args) {
        counted++;
        return compute.apply(this, args);
      };
      const start = process.cpuUsage();
      try {
        answers = nodes.map((node) => sshConfigFor(config, node));
      } finally {
        const used = process.cpuUsage(start);
        SSHConfig.prototype.compute = compute;
        const ms = (used.user + used.system) / 1000;
        first ??= ms;
        best = Math.min(best, ms);
        calls = counted;
      }
    }
    const digest = createHash('sha256').update(JSON.stringify(answers)).digest('hex').slice(0, 16);
    const ms = (value) => value.toFixed(0).padStart(5);
    console.log(`${shape.padEnd(26)} CPU for ${NODES} nodes: first ${ms(first)} ms, best ${ms(best)} ms  ${(calls / NODES).toFixed(1).padStart(4)} compute()/node  answers ${digest}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
