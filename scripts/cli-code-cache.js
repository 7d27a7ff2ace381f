// Writes the V8 code caches bin/run.js compiles the CLI's bundle (dist/cli/gridops.cjs.v8cache) and
// the schemas' validators (dist/schema-validators/NAME.cjs.v8cache) with (why: scripts/bundle-cli.js).
// The caches are made by the real binary after a representative run, `validate` of the large
// example (which loads the grid's workflow: node-base, hypervisor, qos, agent) with a playbook of
// its own of the resource kinds those never use (the build fails if a validator is left without a
// cache; the topology may not name gridops' own playbooks), so they hold the functions start-up, oclif's command
// dispatch, the YAML parse, the topology's and playbooks' checks compiled; functions outside them
// compile lazily as without a cache. They are written on every build, on the machine that runs the
// CLI (npm ci runs the build): V8 accepts a cache only from its own version and flags. bundle-cli.js
// and compile-schemas.js remove the old caches with the old files (V8 checks only the source's length;
// bin/run.js also refuses a cache older than its file).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const bundleCache = `${root}dist/cli/gridops.cjs.v8cache`;
rmSync(bundleCache, { force: true });
const dir = mkdtempSync(join(tmpdir(), 'gridops-code-cache-'));
try {
  const topology = join(dir, 'topology.yaml');
  // The resource kinds the grid's workflow never uses get their validators' caches from a playbook of
  // the operator's own kind (the bench's 3-task work has a `line`; reset's and decommission's removals): one entry of each.
  const ownKinds = join(dir, 'own-kinds.yaml');
  writeFileSync(ownKinds, 'name: own-kinds\nresources:\n  - line: { path: /etc/gridops-cache.conf, line: "a=1", match: "^a=" }\n  - kernel-module: { name: br_netfilter }\n  - sysctl: { key: net.ipv4.ip_forward, value: "1" }\n  - absent-paths: { paths: [/etc/gridops-cache.d] }\n  - absent-unit: { unit: gridops-cache.service }\n  - absent-libvirt: { pool: gridops-cache }\n');
  // The example's sandbox image (images/sandbox.img beside it), which validate checks is a file: a
  // stand-in, for validate reads no more of it (only a plan reads and uploads it).
  mkdirSync(join(dir, 'images'));
  writeFileSync(join(dir, 'images', 'sandbox.img'), '');
  writeFileSync(topology, `${readFileSync(`${root}examples/large.yaml`, 'utf8')}\nplaybooks: [${JSON.stringify(ownKinds)}]\n`);
  const run = spawnSync(process.execPath, [`${root}bin/run.js`, 'validate', topology], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, GRIDOPS_WRITE_CODE_CACHE: '1', NO_COLOR: '1' },
  });
  const uncached = readdirSync(`${root}dist/schema-validators`).filter((f) => f.endsWith('.cjs') && !existsSync(`${root}dist/schema-validators/${f}.v8cache`));
  if (run.status !== 0) {
    console.error(`cli-code-cache: \`gridops validate\` of examples/large.yaml with own-kinds exited ${run.status}${run.error ? ` (${run.error.message})` : ''}: fix what it says\n${run.stdout}${run.stderr}`);
    process.exit(1);
  }
  if (!existsSync(bundleCache)) {
    console.error(`cli-code-cache: the validate run wrote no cache for the bundle (${bundleCache}): check that bin/run.js still writes caches under GRIDOPS_WRITE_CODE_CACHE=1\n${run.stderr}`);
    process.exit(1);
  }
  if (uncached.length > 0) {
    console.error(`cli-code-cache: no code cache for ${uncached.join(', ')}: no playbook of the run has that kind of resource; add one entry of it to own-kinds in scripts/cli-code-cache.js`);
    process.exit(1);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
