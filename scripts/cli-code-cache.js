// Writes dist/cli/gridops.cjs.v8cache, the V8 code cache bin/run.js compiles the CLI's bundle with
// (why: scripts/bundle-cli.js). The cache is made by the real binary after a representative run,
// `validate` of the large example, so it holds the functions start-up, oclif's command dispatch,
// the YAML parse and the schema check compiled; functions outside it compile lazily as without a
// cache. It is written on every build, on the machine that runs the CLI (npm ci runs the build):
// V8 accepts a cache only from its own version and flags. bundle-cli.js removes dist/cli, so a
// cache never outlives the bundle it was made from (V8 checks only the source's length).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const cache = `${root}dist/cli/gridops.cjs.v8cache`;
rmSync(cache, { force: true });
const run = spawnSync(process.execPath, [`${root}bin/run.js`, 'validate', `${root}examples/large.yaml`], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, GRIDOPS_WRITE_CODE_CACHE: '1', NO_COLOR: '1' },
});
if (run.status !== 0 || !existsSync(cache)) {
  console.error(`cli-code-cache: \`gridops validate examples/large.yaml\` exited ${run.status}${run.error ? ` (${run.error.message})` : ''}\n${run.stdout}${run.stderr}`);
  process.exit(1);
}
