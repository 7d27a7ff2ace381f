#!/usr/bin/env node
// `npm run bench [-- NAME... [--FLAG [VALUE]]...]`: runs every benchmark under bench/ (or only the
// named ones, in any order with the flags) after a build. Flags go to one benchmark, named with them
// (`--FLAG VALUE` or `--FLAG=VALUE`); an unknown name, flags without exactly one name, or a flag that
// benchmark does not take (bench/lib/bench-flags.js) exits 64 before any benchmark runs, and so
// does a benchmark's own refusal of a flag's value.
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
let usage = false;
for (const name of selected.wanted) {
  console.log(`\n=== bench/${name}.js`);
  const r = spawnSync(process.execPath, [`${here}${name}.js`, ...selected.flags], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
  if (r.status === 64) usage = true;
}
process.exit(usage ? 64 : failed ? 1 : 0);
