// Writes dist/build-id: a hash of what decides how a topology validates (the CLI bundle, the
// schema's validators, the published schema, package.json's version), so that what gridops keeps
// between runs (src/topology/validated-cache.ts) is never taken by another build. bin/run.js reads
// it only when it is newer than the bundle: a build that failed after bundling leaves no stale id.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const validators = readdirSync(`${root}dist/schema-validators`).filter((f) => f.endsWith('.cjs')).sort().map((f) => `dist/schema-validators/${f}`);
const hash = createHash('sha256');
for (const file of ['dist/cli/gridops.cjs', ...validators, 'schema/topology.schema.json', 'package.json']) hash.update(`${file}\0`).update(readFileSync(`${root}${file}`)).update('\0');
writeFileSync(`${root}dist/build-id`, `${hash.digest('hex')}\n`);
