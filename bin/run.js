#!/usr/bin/env node
import * as nodeBuffer from 'node:buffer';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

// Buffer's isAscii came with Node 18.15 and 19.6: imported by name, an older Node would stop at the
// import with a SyntaxError before the version warning below could say what is wrong.
const isAscii = typeof nodeBuffer.isAscii === 'function' ? nodeBuffer.isAscii : () => false;

// oclif checks its own engines range with semver on every start (about 40 ms of CPU, 8% of a
// command's start-up); gridops' own requirement (package.json engines, Node 20.12: execa and
// dependency-cruiser need it) is checked here.
const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number);
if (nodeMajor < 20 || (nodeMajor === 20 && nodeMinor < 12)) process.emitWarning(`gridops needs Node 20.12 or later; this is Node ${process.versions.node}`);
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';

// The CLI (the commands and @oclif/core) is one CommonJS file (scripts/bundle-cli.js), compiled here
// with the V8 code cache the build wrote after running `validate` (scripts/cli-code-cache.js): V8
// then deserializes the functions a run needs instead of parsing and compiling them: `validate` of
// 50 nodes 368 -> 280 ms, of which `node -e 0` is 122. A cache V8 rejects (another Node or V8
// version, other V8 flags) or a missing one only costs that time: the source is compiled as
// without a cache. The schemas' validators
// (dist/schema-validators) load the same way, each with its own cache, so commands that never
// check a schema (help, --version) do not deserialize their code.
const require = createRequire(import.meta.url);
/** The build's hook (scripts/cli-code-cache.js): each file's cache is written at exit, so it holds the functions that ran. */
const writeCaches = process.env.GRIDOPS_WRITE_CODE_CACHE === '1';
const ranScripts = new Map();
/** What became of each file's cache (`used`, `rejected` or `none`), for `-v` and the tests. */
const codeCaches = new Map();
globalThis[Symbol.for('gridops.codeCaches')] = codeCaches;

/**
 * Runs the CommonJS file `file` as require() does, compiled from `FILE.v8cache` when V8 accepts that
 * cache, and registers it in require's cache (so oclif's own require() of the bundle, package.json
 * oclif.commands, finds this copy). `runnerImport` is the module's __gridopsRunnerImport (bundle-cli.js says why).
 * Returns the module's exports.
 */
function requireCached(file, runnerImport) {
  const cacheFile = `${file}.v8cache`;
  let cachedData;
  try {
    // V8 checks a cache against its source's length only: a file changed after its cache (by hand;
    // a build removes the caches with the old files) must not be compiled from it.
    if (statSync(cacheFile).mtimeMs >= statSync(file).mtimeMs) cachedData = readFileSync(cacheFile);
  } catch {
    // no cache (scripts/cli-code-cache.js has not run, or this file did not run then): the source is compiled
  }
  // The build writes the bundle as ASCII (bundle-cli.js), and ASCII read as Latin-1 is the same
  // text: Node copies those bytes into a string at once, where its UTF-8 decoding of the 2 MB took
  // 18 to 34 ms of every start against 12 to 20 (2026-12-02). A file with other bytes is UTF-8.
  const bytes = readFileSync(file);
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  // Node's CommonJS wrapper, on the file's first line so its line numbers hold, with one more parameter.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __gridopsRunnerImport) { ${source}\n})`, { filename: file, cachedData });
  const module = new Module(file, null);
  module.filename = file;
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), runnerImport);
  module.loaded = true;
  require.cache[file] = module;
  if (writeCaches) ranScripts.set(cacheFile, script);
  codeCaches.set(file, cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used');
  return module.exports;
}

if (writeCaches) {
  process.once('exit', () => {
    for (const [cacheFile, script] of ranScripts) {
      try {
        writeFileSync(cacheFile, script.createCachedData());
      } catch (error) {
        process.stderr.write(`gridops: cannot write the code cache ${cacheFile}: ${error.message}\n`); // the build's check reports the missing file
      }
    }
  });
}
// How src/topology/validator-file.ts loads a validator file.
globalThis[Symbol.for('gridops.requireCached')] = (file) => require.cache[file]?.exports ?? requireCached(file);
// The bundle's import() calls go through this module's import() (bundle-cli.js says why).
const bundle = fileURLToPath(new URL('../dist/cli/gridops.cjs', import.meta.url));
// The build this is, and where, for what gridops keeps between runs of the same build
// (src/topology/validated-cache.ts): scripts/build-id.js writes it after the bundle; one older than
// the bundle is from an earlier build, and none means no such keeping.
try {
  const idFile = fileURLToPath(new URL('../dist/build-id', import.meta.url));
  if (statSync(idFile).mtimeMs >= statSync(bundle).mtimeMs) globalThis[Symbol.for('gridops.build')] = `${readFileSync(idFile, 'utf8').trim()}|${bundle}`;
} catch {
  // no build id
}
// Where NODE_ENV is "development" or "test", oclif looks for a command's TypeScript source beside
// its compiled file, so that a plugin's author can run it uncompiled: it requires the typescript
// package (from a checkout's devDependencies) to read tsconfig.json, then finds neither tsx nor
// ts-node and runs the bundle anyway. That was 145 ms of every command for a user whose shell sets
// NODE_ENV=development, and of every CLI run in the tests. gridops runs only its built bundle.
globalThis.oclif = { ...globalThis.oclif, enableAutoTranspile: false };
const cli = requireCached(bundle, (specifier) => import(specifier));
/**
 * oclif loads its core plugins (help, not-found, autocomplete: package.json oclif.plugins) on
 * every start, finding each package's root and manifest: 5 ms of a 50-host plan's start-up
 * (2026-12-06), before it connects. None of them has a hook a command of gridops' own runs
 * (not-found's runs only for an unknown command), so a run of one of those, without a help flag,
 * gets the root plugin alone. Anything else (help, autocomplete, a typo, `--help`) loads them all.
 */
function ownCommandOnly() {
  const [id, ...rest] = process.argv.slice(2);
  if (id === undefined || !Object.hasOwn(cli.COMMANDS, id) || rest.some((a) => a === '--help' || a === '-h')) return undefined;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const pjson = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  delete pjson.oclif.plugins;
  return { loadOptions: { root, pjson } };
}

// What `-v`'s profile reports next to the start-up time.
globalThis[Symbol.for('gridops.codeCache')] = codeCaches.get(bundle);
await cli.execute(ownCommandOnly() ?? { dir: import.meta.url });

// A finished command whose event loop holds nothing but the standard streams ends here, as Node
// would end it next, but without tearing down V8's heap page by page (a 50-host plan's heap is
// 20 MB: 10 -> 1.5 ms from its last output to its exit, 2026-12-06); the kernel frees it whole. Anything still pending (a
// socket closing, a timer, a child) keeps the natural exit, which waits for it.
const pending = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
if (pending.length === 0 && process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();

