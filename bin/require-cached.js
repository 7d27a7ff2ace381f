// CommonJS files run from their V8 code caches: the CLI's bundle, ssh2's (scripts/bundle-cli.js
// says why each is one file) and the schemas' validators. bin/run.js loads them through here, and
// the build (scripts/cli-code-cache.js) writes their caches through here too, so that a cache is
// made from exactly the text it is later checked against.
import * as nodeBuffer from 'node:buffer';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

// Buffer's isAscii came with Node 18.15 and 19.6: imported by name, an older Node would stop at the
// import with a SyntaxError before bin/run.js's version warning could say what is wrong.
const isAscii = typeof nodeBuffer.isAscii === 'function' ? nodeBuffer.isAscii : () => false;

// Each file is compiled with the V8 code cache the build wrote after running it (scripts/cli-code-cache.js):
// V8 then deserializes the functions a run needs instead of parsing and compiling them: `validate` of
// 50 nodes 368 -> 280 ms, of which `node -e 0` is 122. A cache V8 rejects (another Node or V8
// version, other V8 flags) or a missing one only costs that time: the source is compiled as
// without a cache. The schemas' validators (dist/schema-validators) and ssh2 load the same way, each
// with its own cache, so commands that never check a schema or connect do not deserialize their code.
const require = createRequire(import.meta.url);
/** The build's hook (scripts/cli-code-cache.js): each file's cache is written at exit, so it holds the functions that ran. */
const writeCaches = process.env.GRIDOPS_WRITE_CODE_CACHE === '1';
/** Each file's compiled script, for writeCodeCache. */
const scripts = new Map();
/** What became of each file's cache (`used`, `rejected` or `none`), for `-v` and the tests. */
const codeCaches = new Map();
globalThis[Symbol.for('gridops.codeCaches')] = codeCaches;

/**
 * Runs the CommonJS file `file` as require() does, compiled from `FILE.v8cache` when V8 accepts that
 * cache, and registers it in require's cache (so oclif's own require() of the bundle, package.json
 * oclif.commands, finds this copy, and a second call returns the first one's exports).
 * `runnerImport` is the module's __gridopsRunnerImport (bundle-cli.js says why). Returns the module's exports.
 */
export function requireCached(file, runnerImport) {
  if (require.cache[file]) return require.cache[file].exports;
  const cacheFile = `${file}.v8cache`;
  let cachedData;
  try {
    // V8 checks a cache against its source's length only: a file changed after its cache (by hand;
    // a build removes the caches with the old files) must not be compiled from it.
    if (statSync(cacheFile).mtimeMs >= statSync(file).mtimeMs) cachedData = readFileSync(cacheFile);
  } catch {
    // no cache (scripts/cli-code-cache.js has not run, or this file did not run then): the source is compiled
  }
  // The build writes the bundles as ASCII (bundle-cli.js), and ASCII read as Latin-1 is the same
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
  scripts.set(file, script);
  codeCaches.set(file, cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used');
  return module.exports;
}

// How the build's files reach this loader from the bundles (src/cached-require.ts): validators, ssh2.
globalThis[Symbol.for('gridops.requireCached')] = (file) => requireCached(file);

/** Writes `file`'s cache (FILE.v8cache) now, holding the functions that have run so far; `file` was loaded by requireCached. */
export function writeCodeCache(file) {
  writeFileSync(`${file}.v8cache`, scripts.get(file).createCachedData());
}

if (writeCaches) {
  process.once('exit', () => {
    for (const file of scripts.keys()) {
      try {
        writeCodeCache(file);
      } catch (error) {
        process.stderr.write(`gridops: cannot write the code cache ${file}.v8cache: ${error.message}\n`); // the build's check reports the missing file
      }
    }
  });
}
