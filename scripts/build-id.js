// Writes dist/build-id: a hash of the build's code (every script under dist: the CLI bundle, the
// schema's validators, the keeper's modules and the rest), the published schemas (the playbook
// check reads its own at run time) and package.json, so that what gridops keeps between runs is
// never taken by another build: the validated topology (src/topology/validated-cache.ts), the
// checked playbooks (src/playbooks/validated-cache.ts) and the connection keeper, whose socket is
// named after the build (src/transport/keeper-protocol.ts; the keeper runs dist/transport, not the
// bundle). bin/run.js reads it only when it is newer than the bundle: a build that failed after
// bundling leaves no stale id.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
// Walked by hand: readdirSync's `recursive` came in Node 20.1, and package.json takes any Node 20.
const walk = (dir) => readdirSync(`${root}${dir}`, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`]));
const scripts = walk('dist')
  .filter((f) => /\.(?:js|cjs|mjs)$/.test(f))
  .sort();
const hash = createHash('sha256');
for (const file of [...scripts, 'schema/topology.schema.json', 'schema/playbook.schema.json', 'package.json']) hash.update(`${file}\0`).update(readFileSync(`${root}${file}`)).update('\0');
writeFileSync(`${root}dist/build-id`, `${hash.digest('hex')}\n`);
