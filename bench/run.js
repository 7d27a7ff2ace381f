#!/usr/bin/env node
// `npm run bench [-- NAME... [--FLAG...]]`: runs every benchmark under bench/ (or only the named
// ones) after a build; flags (words starting with -) go to each benchmark run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('./', import.meta.url));
const all = readdirSync(here).filter((f) => f.endsWith('.js') && f !== 'run.js').map((f) => f.replace(/\.js$/, ''));
const names = process.argv.slice(2).filter((a, i, argv) => !a.startsWith('-') && !argv[i - 1]?.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => !names.includes(a));
const wanted = names.length ? names : all;
let failed = 0;
for (const name of wanted) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark ${name}; have: ${all.join(', ')}`);
    process.exit(64);
  }
  console.log(`\n=== bench/${name}.js`);
  const r = spawnSync(process.execPath, [`${here}${name}.js`, ...flags], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
