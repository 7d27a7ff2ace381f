#!/usr/bin/env node
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

// oclif checks its own engines range with semver on every start (about 40 ms of CPU, 8% of a
// command's start-up); gridops' own requirement (package.json engines, Node 20) is checked here.
if (Number(process.versions.node.split('.')[0]) < 20) process.emitWarning(`gridops needs Node 20 or later; this is Node ${process.versions.node}`);
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';

// The CLI (the commands and @oclif/core) is one CommonJS file (scripts/bundle-cli.js), compiled here
// with the V8 code cache the build wrote after running `validate` (scripts/cli-code-cache.js): V8
// then deserializes the functions a run needs instead of parsing and compiling them, about 80 ms of
// a command's start-up. A cache V8 rejects (another Node or V8 version, other V8 flags) or a missing
// one only costs that time: the source is compiled as without a cache. The module is registered in
// require's cache, so oclif's own require() of it (package.json oclif.commands) finds this copy.
const bundle = fileURLToPath(new URL('../dist/cli/gridops.cjs', import.meta.url));
const cacheFile = `${bundle}.v8cache`;
let cachedData;
try {
  // V8 checks a cache against its source's length only: a bundle changed after its cache (by hand;
  // a build removes the cache with the old bundle) must not be compiled from it.
  if (statSync(cacheFile).mtimeMs >= statSync(bundle).mtimeMs) cachedData = readFileSync(cacheFile);
} catch {
  // no cache (scripts/cli-code-cache.js has not run): the source is compiled
}
// Node's CommonJS wrapper, on the bundle's first line so its line numbers hold, with one more
// parameter: the bundle's import() calls go through this module's import() (bundle-cli.js says why).
const script = new Script(`(function (exports, require, module, __filename, __dirname, __gridopsRunnerImport) { ${readFileSync(bundle, 'utf8')}\n})`, { filename: bundle, cachedData });
const cli = new Module(bundle, null);
cli.filename = bundle;
script.runInThisContext()(cli.exports, createRequire(bundle), cli, bundle, dirname(bundle), (specifier) => import(specifier));
cli.loaded = true;
createRequire(import.meta.url).cache[bundle] = cli;
// What `-v`'s profile reports next to the start-up time.
globalThis[Symbol.for('gridops.codeCache')] = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
// The build's hook (scripts/cli-code-cache.js): at exit, so the cache holds the functions that ran.
if (process.env.GRIDOPS_WRITE_CODE_CACHE === '1') {
  process.once('exit', () => {
    try {
      writeFileSync(cacheFile, script.createCachedData());
    } catch (error) {
      process.stderr.write(`gridops: cannot write the code cache ${cacheFile}: ${error.message}\n`); // the build's check reports the missing file
    }
  });
}
await cli.exports.execute({ dir: import.meta.url });
