#!/usr/bin/env node
// Lab bring-up figures against the targets (run as root after `npm run build`):
//   node bench/lab.js                 warm: 8 containers (<= 10 s), 50 netns hosts (<= 5 s), 3 runs each
//   node bench/lab.js --cold          also the first `up` on a fresh machine: debootstrap included (<= 120 s),
//                                     into a throw-away cache dir so the shared cache is not disturbed
//   node bench/lab.js --vm            also one VM: time from qemu start to sshd answering (<= 40 s)
//   --runs N                          repetitions for the warm figures (default 3)
// Every lab is brought down after it is measured. Exit 1 if a target is missed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchFlagsOrExit } from './lib/bench-flags.js';
import { repetitionsFlag } from './lib/repetitions-flag.js';

const flags = benchFlagsOrExit('lab', process.argv.slice(2));
let runs;
try {
  runs = repetitionsFlag(flags, 'runs', 3);
} catch (err) {
  console.error(`bench/lab: ${err.message}`);
  process.exit(64);
}
const { labUp, labDown } = await import('../dist/lab/lab.js');
if (process.getuid?.() !== 0) {
  console.error('bench/lab.js needs root (it builds real labs)');
  process.exit(1);
}

const results = [];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(title, req, targetMs, n, env = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const ups = [];
  const downs = [];
  try {
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'gridops-lab-bench-'));
      try {
        const t = Date.now();
        const r = await labUp({ ...req, dir });
        ups.push(Date.now() - t);
        if (req.kind === 'vm') ups[ups.length - 1] = r.timings.bootMs;
        const d = await labDown(dir);
        downs.push(d.ms);
      } catch (err) {
        await labDown(dir).catch(() => {});
        throw err;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    process.env = saved;
  }
  const up = median(ups);
  const row = { title, runsMs: ups, medianMs: up, downMedianMs: median(downs), targetMs, ok: up <= targetMs };
  results.push(row);
  console.log(`${row.ok ? 'ok  ' : 'MISS'} ${title}: up ${(up / 1000).toFixed(2)} s (runs ${ups.map((x) => (x / 1000).toFixed(2)).join(', ')}), down ${(row.downMedianMs / 1000).toFixed(2)} s, target ${targetMs / 1000} s`);
}

if (flags.has('cold')) {
  const cache = mkdtempSync(join(tmpdir(), 'gridops-lab-bench-cache-'));
  try {
    await measure('first up on a fresh machine (debootstrap + 8 containers)', { kind: 'container', nodes: 8, subgrids: 2, regions: 1 }, 120_000, 1, { GRIDOPS_CACHE_DIR: cache });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
await measure('8 containers, rootfs cached', { kind: 'container', nodes: 8, subgrids: 2, regions: 1 }, 10_000, runs);
await measure('50 netns hosts', { kind: 'netns', nodes: 50, subgrids: 5, regions: 2 }, 5_000, runs);
if (flags.has('vm')) await measure('VM: qemu start to sshd answering (image cached)', { kind: 'vm', nodes: 1, subgrids: 1, regions: 1 }, 40_000, 1);

console.log(JSON.stringify({ bench: 'lab', results }, null, 2));
process.exit(results.every((r) => r.ok) ? 0 : 1);
