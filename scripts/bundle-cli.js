// Bundles the CLI's commands (scripts/build.js's per-file output in dist/commands) into dist/cli/commands with esbuild,
// shared code split into chunks, so starting a command reads a few files instead of resolving,
// reading and linking some 200 modules: `plan`'s start-up went from about 0.40 to 0.25 s of CPU.
// @oclif/core is bundled too, with the packages it requires (158 CommonJS modules: requiring them
// took 105-190 ms, the bundled copy 60-80 ms), and bin/run.js starts from dist/cli/cli-main.js so the
// runner and the commands share that one copy. oclif's plugins (help, not-found, autocomplete)
// stay in node_modules and load their own copy when they run. The packages gridops loads lazily
// (ssh2, ajv, sshpk, pino, fast-xml-parser, ssh-config: createRequire or import() on the path
// that needs them) and the lab's and graph's own (execa, listr2, viz) stay in node_modules too.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
/** Small pure-JavaScript packages every run of the main commands imports: bundled. */
const INLINE = new Set(['@oclif/core', 'yaml', 'handlebars', 'diff', 'fastest-levenshtein', 'p-limit', 'yocto-queue', 'picomatch']);

const entries = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? entries(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

rmSync(`${root}dist/cli`, { recursive: true, force: true });
await build({
  entryPoints: [...entries(`${root}dist/commands`), `${root}dist/cli-main.js`],
  outbase: `${root}dist`,
  outdir: `${root}dist/cli`,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  logLevel: 'warning',
  // The bundled CommonJS packages require Node's built-ins; an ES module has no `require` of its own.
  banner: { js: "import { createRequire as __gridopsCreateRequire } from 'node:module'; const require = __gridopsCreateRequire(import.meta.url);" },
  plugins: [
    {
      name: 'external-packages',
      setup(b) {
        // handlebars' compiler requires source-map (12 files) at load, only for templates compiled
        // with `srcName`, which gridops never asks for; without it handlebars uses its own builder.
        b.onResolve({ filter: /^source-map$/ }, () => ({ path: 'source-map', namespace: 'gridops-empty' }));
        b.onLoad({ filter: /.*/, namespace: 'gridops-empty' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
        // oclif-core's own requires are bundled with it; ts-node and typescript it asks for only in development.
        const fromOclif = (importer) => /node_modules[\\/]/.test(importer) && !/node_modules[\\/]handlebars[\\/]/.test(importer);
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith('node:') || ['typescript', 'ts-node', 'tsx'].includes(packageOf(args.path))) return { path: args.path, external: true };
          if (INLINE.has(packageOf(args.path)) || fromOclif(args.importer)) return undefined;
          return { path: args.path, external: true };
        });
      },
    },
  ],
});
