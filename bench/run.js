#!/usr/bin/env node
// `npm run bench [-- NAME... [--FLAG [VALUE]]...]`: runs every benchmark under bench/ (or only the
// named ones, in any order with the flags) after a build; flags go to each benchmark run. An
// unknown name exits 64 before any benchmark runs.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { selectBenchmarks } from './lib/bench-argv.js';

const here = fileURLToPath(new URL('./', import.meta.url));
const all = readdirSync(here).filter((f) => f.endsWith('.js') && f !== 'run.js').map((f) => f.replace(/\.js$/, ''));
let selected;
try {
  selected = selectBenchmarks(process.argv.slice(2), all);
} catch (err) {
  console.error(err.message);
  process.exit(64);
}
let failed = 0;
for (const name of selected.wanted) {
  console.log(`\n=== bench/${name}.js`);
  const r = spawnSync(process.execPath, [`${here}${name}.js`, ...selected.flags], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
