// Bundles the CLI (scripts/build.js's per-file output in dist/commands, and @oclif/core) into ONE
// CommonJS file, dist/cli/gridops.cjs, which bin/run.js compiles with a V8 code cache
// (scripts/cli-code-cache.js writes it at build time).
//
// Why one CommonJS file: starting a command used to spend most of its time on code that runs the
// same way every time: parsing and compiling the ES module chunks (about 35 ms), evaluating the
// bundled CommonJS module bodies (25 ms), compiling lazily the functions that ran. Node 20 has no
// module.enableCompileCache, but vm.Script takes `cachedData`, and a vm.Script is one classic
// script: the whole CLI has to be one CommonJS file to be compiled from a cache in one go. With the
// caches (and the validators', bin/run.js), `validate` of a 50-node topology went from 368 to 280 ms
// of wall time (`node -e 0`: 122 ms; medians of 24 alternating runs on the shared 2-core machine;
// README, performance notes).
//
// The bundle's `COMMANDS` export is what oclif's `explicit` command discovery reads (package.json
// oclif.commands); each command is a getter that requires its module on first use, so starting
// `validate` runs validate's code and its imports, not the lab's. esbuild wraps every module that is
// reached through require() in a lazy initializer, so modules shared by several commands still run
// once, when first needed.
//
// @oclif/core is bundled with the packages it requires; oclif's plugins (help, not-found,
// autocomplete) stay in node_modules and load their own copy when they run. The packages gridops
// loads lazily (ssh2, ajv, sshpk, pino, fast-xml-parser, ssh-config: createRequire or import() on
// the path that needs them) and viz stay in node_modules; ssh2's client has a bundle of its own (below).
// execa is bundled: it is ES-module-only,
// and a CommonJS bundle's static import of it becomes a require(), which Node 20 before 20.19
// refuses (ERR_REQUIRE_ESM); bundled, esbuild converts it, and it runs only with the lab's commands
// and the local transport. listr2 ships a CommonJS build, which require() picks.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
/**
 * Pure-JavaScript packages bundled: the ones every run of the main commands imports, and execa (above).
 * @sinclair/typebox (the state's record check) required from node_modules was 45 ms of each plan's
 * start: its hundreds of small files resolved and compiled (test/cli/first-contact.test.ts checks
 * that plan, apply and status require nothing from node_modules at start).
 */
const INLINE = new Set(['@oclif/core', '@sinclair/typebox', 'yaml', 'handlebars', 'diff', 'fastest-levenshtein', 'p-limit', 'yocto-queue', 'picomatch', 'execa']);

const entries = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? entries(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

// One getter per command file; the id is oclif's own (path under commands/, `/` becomes `:`).
const commandsDir = `${root}dist/commands`;
const getters = entries(commandsDir)
  .map((file) => relative(commandsDir, file).split(sep).join('/'))
  .sort()
  .map((path) => `Object.defineProperty(COMMANDS, ${JSON.stringify(path.slice(0, -3).replaceAll('/', ':'))}, { enumerable: true, get: () => require(${JSON.stringify(`./commands/${path}`)}).default });`);

rmSync(`${root}dist/cli`, { recursive: true, force: true });
await build({
  stdin: {
    contents: `'use strict';\nconst COMMANDS = {};\n${getters.join('\n')}\nmodule.exports = { execute: require('@oclif/core').execute, COMMANDS };\n`,
    resolveDir: `${root}dist`,
    sourcefile: 'gridops-cli-entry.cjs',
    loader: 'js',
  },
  outfile: `${root}dist/cli/gridops.cjs`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  // The sources are ES modules: import.meta.url (package-root.ts, createRequire calls) becomes the bundle's own URL.
  define: { 'import.meta.url': '__gridopsImportMetaUrl' },
  // import() (oclif's plugins are ES modules; pino, viz) goes through the runner's import() when
  // bin/run.js compiled the bundle with vm.Script (below); required the ordinary way, it is Node's own.
  banner: {
    js: [
      "const __gridopsImportMetaUrl = require('node:url').pathToFileURL(__filename).href;",
      "const __gridopsImport = typeof __gridopsRunnerImport === 'function' ? __gridopsRunnerImport : (specifier) => import(specifier);",
    ].join('\n'),
  },
  plugins: [
    {
      name: 'external-packages',
      setup(b) {
        // handlebars' compiler requires source-map (12 files) at load, only for templates compiled
        // with `srcName`, which gridops never asks for; without it handlebars uses its own builder.
        b.onResolve({ filter: /^source-map$/ }, () => ({ path: 'source-map', namespace: 'gridops-empty' }));
        b.onLoad({ filter: /.*/, namespace: 'gridops-empty' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
        // Two lines of oclif's config/plugin.js cost every start time for nothing gridops needs. If
        // oclif changes either, the build says so and bundles that line as it is.
        // - It requires tinyglobby (with fdir and picomatch; fdir's load resolves picomatch through
        //   node_modules) on every start, only to find command files by glob, which neither gridops
        //   (explicit discovery) nor its plugins (they ship manifests) ask for: loaded when first used.
        // - It sorts each plugin's commands with localeCompare, whose first call sets up ICU's
        //   collator: 12 to 15 ms of every start on the machine of 2026-12-02, and the only use of
        //   ICU in a plan or an apply. Ids of lowercase letters, `:` and `-` (every command gridops
        //   and its plugins have) compare as plain strings, by code points: the root and English
        //   collation's order for them (test/cli/first-contact.test.ts checks it), which a process
        //   under another locale (Czech sorts `ch` after `h`) no longer follows for this list; help
        //   sorts its own. Any other id is still compared by localeCompare.
        const pluginRewrites = [
          ['const tinyglobby_1 = require("tinyglobby");', 'const tinyglobby_1 = { get glob() { return require("tinyglobby").glob; } };', 'tinyglobby loads on every start'],
          [
            '.sort((a, b) => a.id.localeCompare(b.id));',
            '.sort((a, b) => (/^[a-z:-]*$/.test(a.id) && /^[a-z:-]*$/.test(b.id) ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.id.localeCompare(b.id)));',
            "each start sets up ICU's collator to sort the commands",
          ],
        ];
        b.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/ }, (args) => {
          let text = readFileSync(args.path, 'utf8');
          const warnings = [];
          for (const [from, to, cost] of pluginRewrites) {
            if (text.includes(from)) text = text.replace(from, () => to);
            else warnings.push({ text: `bundle-cli: ${args.path} no longer has \`${from}\`: ${cost}` });
          }
          return { contents: text, loader: 'js', resolveDir: dirname(args.path), warnings };
        });
        // oclif-core's own requires are bundled with it (so are execa's); ts-node and typescript oclif asks for only in development.
        const fromBundledPackage = (importer) => /node_modules[\\/]/.test(importer) && !/node_modules[\\/]handlebars[\\/]/.test(importer);
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith('node:') || ['typescript', 'ts-node', 'tsx'].includes(packageOf(args.path))) return { path: args.path, external: true };
          if (INLINE.has(packageOf(args.path)) || fromBundledPackage(args.importer)) return undefined;
          return { path: args.path, external: true };
        });
      },
    },
  ],
});

// A vm.Script's own import() needs `importModuleDynamically`, which in Node 20 is experimental (it
// prints an ExperimentalWarning on use), and with a code cache V8 loses it (the deserialized
// functions' import() throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). So every import() call in the
// bundle becomes a call of __gridopsImport (the banner's, which bin/run.js passes in as
// __gridopsRunnerImport). The bundle has no relative import() left (esbuild bundled those), so
// a specifier resolves the same from bin/ as from dist/cli/: package names and file URLs.
const bundleFile = `${root}dist/cli/gridops.cjs`;
const bundled = readFileSync(bundleFile, 'utf8');
const bannerEnd = bundled.indexOf('\n', bundled.indexOf('const __gridopsImport ='));
// `import(` as an expression: not part of a name, a property (`.import(`) or a string (`"import()"`).
const rewritten = bundled.slice(0, bannerEnd) + bundled.slice(bannerEnd).replace(/(?<![\w$.'"`])import\s*\(/g, '__gridopsImport(');
const relativeImport = /__gridopsImport\(\s*["'`]\./.exec(rewritten);
if (relativeImport) throw new Error(`bundle-cli: a relative import() is left in ${bundleFile}: ${rewritten.slice(relativeImport.index, relativeImport.index + 80)}`);
// The bundle is written as ASCII where that is safe: V8 decodes an ASCII file into a one-byte
// string at once, where gridops' own comments (an arrow) had made the 2 MB a two-byte string
// (decoding it took 21 ms of every start instead of 10; fresh processes, medians). esbuild escapes
// strings and untagged template literals itself; a character left (in a comment, in a bundled
// package's regular expression) becomes a \uXXXX escape, which means the same there. It would not
// after a backslash (`\e` in a regular expression is the character itself, `\\u00e9` is not), nor
// in a tagged template's raw text: then the bundle is written as it is, with a warning, and only
// starts 10 ms slower (test/cli/first-contact.test.ts then fails, so a developer sees it). A tagged
// template spanning lines is not seen by this line-wise check: esbuild's output of today's packages
// has one escape to make, in ansis' ANSI-stripping expression, which that test checks.
const unsafe = [...rewritten.matchAll(/[^\0-\x7f]/g)].find((m) => {
  const lineStart = rewritten.lastIndexOf('\n', m.index) + 1;
  const lineEnd = rewritten.indexOf('\n', m.index);
  const line = rewritten.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  const backslashes = /\\*$/.exec(rewritten.slice(lineStart, m.index))[0].length;
  return backslashes % 2 === 1 || line.includes('`');
});
if (unsafe) {
  const at = rewritten.slice(Math.max(0, unsafe.index - 60), unsafe.index + 20).replace(/\s+/g, ' ');
  console.warn(`bundle-cli: a non-ASCII character after a backslash or on a line with a template literal (...${at}...): the bundle stays as it is, and decodes 10 ms slower at each start`);
  writeFileSync(bundleFile, rewritten);
} else {
  writeFileSync(bundleFile, rewritten.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

// ssh2's client and key parser, the part of ssh2 a connection uses (src/transport/ssh2-client.ts),
// as one more file with its own code cache, which the build writes after a real connection on
// loopback (scripts/ssh2-code-cache.js). Required from node_modules, ssh2's load took 21 ms before
// a command's first handshake (its 25 files resolved, read and compiled; 11 ms from the bundle and
// its cache, 2026-12-07), then its functions compiled as they first ran: a 1-host plan's CPU went
// 141 -> 124 ms. Its native parts stay in node_modules: the binding that does chacha20-poly1305 and
// AES-GCM, required by its path in gridops' own ssh2, and cpu-features, which orders the ciphers,
// required from ssh2's directory as ssh2 itself finds it (both optional: ssh2 falls back without
// them, as from node_modules).
// The bundle's first line names the ssh2 it holds: the CLI loads ssh2 from node_modules instead when
// the installed one is another (src/transport/ssh2-bundle-version.ts says why).
const ssh2Version = createRequire(root)('ssh2/package.json').version;
await build({
  banner: { js: `/* ssh2 ${ssh2Version} (the version whose JavaScript this bundle holds) */` },
  stdin: {
    contents: "module.exports = { Client: require('ssh2/lib/client.js'), parseKey: require('ssh2/lib/protocol/keyParser.js').parseKey };\n",
    resolveDir: root,
    sourcefile: 'ssh2-client-entry.cjs',
    loader: 'js',
  },
  outfile: `${root}dist/cli/ssh2-client.cjs`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  charset: 'ascii',
  logLevel: 'warning',
  plugins: [
    {
      name: 'ssh2-native-parts',
      setup(b) {
        // cpu-features is ssh2's dependency, not gridops': where a package manager nests it under
        // ssh2 (pnpm's strict layout, an npm that cannot hoist it), the bundle's own require() from
        // dist/cli does not find it, and the ciphers would go in another order than ssh2's from
        // node_modules. So it is required from ssh2's constants.js, the file that requires it, inside
        // ssh2's own try/catch. If ssh2 changes that line, the build says so and the bundle requires
        // cpu-features from dist/cli (the resolver below).
        const cpuFeatures = "require('cpu-features')";
        b.onLoad({ filter: /[\\/]ssh2[\\/]lib[\\/]protocol[\\/]constants\.js$/ }, (args) => {
          const text = readFileSync(args.path, 'utf8');
          if (!text.includes(cpuFeatures)) return { contents: text, loader: 'js', resolveDir: dirname(args.path), warnings: [{ text: `bundle-cli: ${args.path} no longer has \`${cpuFeatures}\`: the bundle requires cpu-features from dist/cli, which a strict layout does not give it` }] };
          const fromSsh2 = "require('node:module').createRequire(require.resolve('ssh2/lib/protocol/constants.js'))('cpu-features')";
          return { contents: text.replace(cpuFeatures, () => fromSsh2), loader: 'js', resolveDir: dirname(args.path) };
        });
        b.onResolve({ filter: /^cpu-features$/ }, (args) => ({ path: args.path, external: true }));
        b.onResolve({ filter: /^\.\/crypto\/build\/Release\/sshcrypto\.node$/ }, (args) => ({ path: `ssh2/lib/protocol/${args.path.slice(2)}`, external: true }));
      },
    },
  ],
});
