import { jest } from '@jest/globals';
import { isAscii } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyOfBuild } from '../support/copy-of-build.js';
import { examplesWithImage } from '../support/examples-with-image.js';

/** What a new user meets first, through the real built binary (npm test builds first). */
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env } });

describe('first contact (the binary)', () => {
  it('`gridops help` lists the commands and gives the lab topic its own description', () => {
    const r = run(['help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/validate\s+Check a topology file/);
    expect(r.stdout).toMatch(/lab\s+a local lab fleet of real nodes/);
    const lab = run(['help', 'lab']);
    expect(lab.status).toBe(0);
    expect(lab.stdout.split('\n')[0]).toMatch(/^a local lab fleet of real nodes/);
    expect(lab.stdout).not.toMatch(/^Remove the lab/);
  });

  it('a mistyped command says so and exits 127 (a terminal is asked "Did you mean validate?")', () => {
    const r = run(['valdate', 'examples/small.yaml']);
    expect(r.status).toBe(127);
    expect(r.stderr).toContain('error: valdate is not a gridops command\n');
    expect(r.stderr).toContain('hint: Did you mean validate? `gridops help` lists the commands');
  });

  it('bash completion completes commands, topics and flags', () => {
    const home = mkdtempSync(join(tmpdir(), 'gridops-ac-'));
    try {
      const env = { HOME: home, XDG_CACHE_HOME: join(home, '.cache') };
      expect(run(['autocomplete', '--refresh-cache'], env).status).toBe(0);
      const script = run(['autocomplete', 'script', 'bash'], env).stdout;
      const complete = (...words: string[]) =>
        spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `"${w}"`).join(' ')}); COMP_CWORD=${words.length - 1}; _gridops_autocomplete; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8', env: { ...process.env, ...env } }).stdout.trim();
      expect(complete('gridops', 'va')).toBe('validate');
      expect(complete('gridops', 'lab', '').split(' ').sort()).toEqual(['down', 'grow', 'image', 'status', 'up']);
      expect(complete('gridops', 'plan', '--li')).toBe('--limit');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('the build writes oclif.manifest.json with every command, and the package ships it with the LICENSE', () => {
    const manifest = JSON.parse(readFileSync(`${root}oclif.manifest.json`, 'utf8'));
    const commandFiles = (dir: string, prefix: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? commandFiles(join(dir, e.name), `${prefix}${e.name}:`) : e.name.endsWith('.ts') ? [`${prefix}${e.name.slice(0, -3)}`] : []);
    expect(Object.keys(manifest.commands).sort()).toEqual(commandFiles(`${root}src/commands`, '').sort());
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    expect(pkg.files).toEqual(expect.arrayContaining(['oclif.manifest.json', 'LICENSE']));
    expect(existsSync(`${root}LICENSE`)).toBe(true);
    expect(readFileSync(`${root}LICENSE`, 'utf8')).toContain('Apache License');
    expect(pkg.license).toBe('Apache-2.0');
  });

  describe('the CLI compiled from its V8 code cache (bin/run.js, scripts/bundle-cli.js)', () => {
    // Run where examples/small.yaml has the sandbox image it names, so that it validates.
    let examples: ReturnType<typeof examplesWithImage>;
    beforeAll(() => (examples = examplesWithImage()));
    afterAll(() => examples.remove());
    /** Runs bin/run.js (of the package at `pkg`) in a node started with `nodeFlags`, and reports what it did with the code cache. */
    const runCached = (nodeFlags: string[], args: string[], pkg = root, report = "''") => {
      const probe = `await import(${JSON.stringify(`${pkg}bin/run.js`)}); process.stderr.write('code cache: ' + globalThis[Symbol.for('gridops.codeCaches')].get(${JSON.stringify(`${pkg}dist/cli/gridops.cjs`)}) + '\\nfiles: ' + ${report} + '\\n');`;
      const r = spawnSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', probe, '_', ...args], { cwd: examples.cwd, encoding: 'utf8', timeout: 20_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
      return { ...r, cache: /code cache: (\w+)/.exec(r.stderr)?.[1] };
    };

    it('the build writes a cache this Node accepts, and a command run from it behaves as before', () => {
      expect(existsSync(`${root}dist/cli/gridops.cjs.v8cache`)).toBe(true);
      const r = runCached([], ['validate', 'examples/small.yaml']);
      expect(r.cache).toBe('used');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('examples/small.yaml: valid: grid euro-grid');
      // The topology's validator (dist/schema-validators) comes from its own cache too.
      const files = runCached([], ['validate', 'examples/small.yaml'], root, "JSON.stringify(Object.fromEntries(globalThis[Symbol.for('gridops.codeCaches')]))");
      expect(JSON.parse(/^files: (.*)$/m.exec(files.stderr)![1]!)).toEqual({ [`${root}dist/cli/gridops.cjs`]: 'used', [`${root}dist/schema-validators/topology.cjs`]: 'used' });
      expect(existsSync(`${root}dist/schema-validators/playbook.cjs.v8cache`)).toBe(true);
    });

    it('the bundle is ASCII (a one-byte string for V8); the character the build escaped means what it meant', () => {
      const bundle = readFileSync(`${root}dist/cli/gridops.cjs`);
      expect(isAscii(bundle)).toBe(true);
      // It was U+009B (CSI) in the ANSI-stripping expression of the bundled ansis: a colour escape
      // that starts with it must still be stripped, as one that starts with ESC [ is.
      const text = bundle.toString('utf8');
      const at = text.indexOf('\\u009b][[()#;?]');
      expect(at).toBeGreaterThan(0);
      const literal = text.slice(text.lastIndexOf('(/', at) + 1, text.indexOf('/g', at) + 2);
      const strip = new Function(`return ${literal}`)() as RegExp;
      expect('\u009b31mred\u001b[0m'.replace(strip, '')).toBe('red');
    });

    it('plan, apply and status start without requiring a package from node_modules: what they load at start is in the bundle and its cache', () => {
      // A package required from node_modules at start costs its files' resolution and compilation on
      // every run: @sinclair/typebox, required by the state's record check, was 45 ms of each plan's
      // 140 ms start-up (the packages a run needs only later, ssh2 and ajv, load when it needs them).
      const dir = mkdtempSync(join(tmpdir(), 'gridops-loaded-'));
      try {
        const tracer = join(dir, 'loaded.cjs');
        writeFileSync(tracer, "process.on('exit', () => process.stderr.write('loaded: ' + JSON.stringify(Object.keys(require('node:module')._cache).filter((f) => f.includes('/node_modules/'))) + '\\n'));\n");
        for (const command of ['plan', 'apply', 'status']) {
          const r = runCached(['--require', tracer], [command, join(dir, 'absent.yaml')]);
          expect(r.stderr).toContain('absent.yaml does not exist');
          expect({ command, loaded: JSON.parse(/^loaded: (.*)$/m.exec(r.stderr)![1]!) }).toEqual({ command, loaded: [] });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("a command of gridops' own starts without oclif's core plugins (help, not-found, autocomplete); help and a typo still load them", () => {
      // Finding each plugin's root and manifest cost 5 ms of every start (bin/run.js, ownCommandOnly).
      const dir = mkdtempSync(join(tmpdir(), 'gridops-plugins-'));
      try {
        const tracer = join(dir, 'plugins.cjs');
        writeFileSync(
          tracer,
          [
            "const fs = require('node:fs'); const seen = new Set();",
            "const note = (p) => { const m = /@oclif\\/(plugin-[a-z-]+)/.exec(String(p)); if (m) seen.add(m[1]); };",
            "for (const [o, names] of [[fs, ['readFileSync', 'statSync', 'existsSync', 'realpathSync']], [fs.promises, ['readFile', 'stat', 'access', 'realpath']]]) for (const n of names) { const f = o[n]; o[n] = function (p, ...rest) { note(p); return f.call(this, p, ...rest); }; }",
            "process.on('exit', () => process.stderr.write('plugins: ' + JSON.stringify([...seen].sort()) + '\\n'));",
          ].join('\n'),
        );
        const plugins = (args: string[]) => JSON.parse(/^plugins: (.*)$/m.exec(runCached(['--require', tracer], args).stderr)![1]!) as string[];
        for (const command of ['plan', 'apply', 'status', 'validate']) expect({ command, plugins: plugins([command, join(dir, 'absent.yaml')]) }).toEqual({ command, plugins: [] });
        expect(plugins(['help'])).toEqual(['plugin-autocomplete', 'plugin-help', 'plugin-not-found']);
        expect(plugins(['plan', '--help'])).toEqual(['plugin-autocomplete', 'plugin-help', 'plugin-not-found']);
        expect(plugins(['valdate'])).toEqual(['plugin-autocomplete', 'plugin-help', 'plugin-not-found']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("oclif sorts gridops' commands without ICU's collator, in the root and English collation's order (bundle-cli.js rewrites that sort)", () => {
      const text = readFileSync(`${root}dist/cli/gridops.cjs`, 'latin1');
      // esbuild renames the parameters (`a2`): the comparator is found by its test of the id's alphabet.
      const rewritten = /\.sort\((\([\w$]+, [\w$]+\) => \(?\/\^\[a-z:-\]\*\$\/\.test\([^\n]*)\);\n/.exec(text);
      expect(rewritten).not.toBeNull();
      expect(text).not.toMatch(/\.sort\(\(([\w$]+), ([\w$]+)\) => \1\.id\.localeCompare\(\2\.id\)\)/);
      const compare = new Function(`return ${rewritten![1]}`)() as (a: { id: string }, b: { id: string }) => number;
      // The root and English collation's order (the test's own locale could be Czech's, with its `ch`).
      const byCollator = (ids: string[]) => [...ids].sort((a, b) => a.localeCompare(b, 'en'));
      const byBundle = (ids: string[]) => ids.map((id) => ({ id })).sort(compare).map((c) => c.id);
      const manifest = JSON.parse(readFileSync(`${root}oclif.manifest.json`, 'utf8')) as { commands: Record<string, unknown> };
      const ids = Object.keys(manifest.commands);
      expect(byBundle([...ids].reverse())).toEqual(byCollator(ids));
      // Every string over the alphabet the fast path takes, up to 3 characters: the collator's order.
      const alphabet = ['a', 'b', 'z', ':', '-'];
      let words = [''];
      for (let n = 0; n < 3; n++) words = [...words, ...words.flatMap((w) => alphabet.map((c) => w + c))];
      const unique = [...new Set(words)];
      expect(byBundle([...unique].reverse())).toEqual(byCollator(unique));
      // Ids outside it (capitals, digits) are the collator's to order, where code points would differ.
      expect(byBundle(['b', 'A', 'a:1', 'a:b', 'a0'])).toEqual(byCollator(['b', 'A', 'a:1', 'a:b', 'a0']));
      // gridops' own ids never reach localeCompare, so no collator is set up for them.
      const localeCompare = jest.spyOn(String.prototype, 'localeCompare');
      try {
        byBundle([...ids].reverse());
        expect(localeCompare).not.toHaveBeenCalled();
        byBundle(['B', 'a']);
        expect(localeCompare).toHaveBeenCalled();
      } finally {
        localeCompare.mockRestore();
      }
    });

    it('a cache V8 refuses (other V8 flags) costs only time: the source is compiled and the command runs', () => {
      const r = runCached(['--max-lazy'], ['validate', 'examples/small.yaml']);
      expect(r.cache).toBe('rejected');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('examples/small.yaml: valid: grid euro-grid');
      expect(r.stderr).not.toMatch(/Warning/);
    });

    it('a bundle changed after its cache is compiled without it (V8 would take a cache made for other source of the same length)', () => {
      const { pkg, remove } = copyOfBuild('gridops-cache-');
      try {
        expect(runCached([], ['--version'], pkg)).toMatchObject({ status: 0, cache: 'used' });
        const later = new Date(Date.now() + 60_000);
        utimesSync(`${pkg}dist/cli/gridops.cjs`, later, later);
        const r = runCached([], ['--version'], pkg);
        expect(r).toMatchObject({ status: 0, cache: 'none' });
        expect(r.stdout).toMatch(/^gridops\/\d/);
      } finally {
        remove();
      }
    });

    it('a bundle that is not ASCII is read as UTF-8 (bin/run.js reads an ASCII one as Latin-1, the same text)', () => {
      const { pkg, remove } = copyOfBuild('gridops-utf8-');
      try {
        const bundle = `${pkg}dist/cli/gridops.cjs`;
        writeFileSync(bundle, `${readFileSync(bundle, 'latin1')}\nmodule.exports.probe = "d\u00e9j\u00e0 \u2192 \u{1F600}";\n`, 'utf8');
        const r = runCached([], ['--version'], pkg, `globalThis[Symbol.for('gridops.requireCached')](${JSON.stringify(bundle)}).probe`);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^gridops\/\d/);
        expect(/^files: (.*)$/m.exec(r.stderr)?.[1]).toBe('d\u00e9j\u00e0 \u2192 \u{1F600}');
      } finally {
        remove();
      }
    });

    it('import() from the bundle works with the cache: oclif loads its ES-module plugins (help, not-found) without warnings', () => {
      const help = runCached([], ['help', 'lab']);
      expect(help.cache).toBe('used');
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^a local lab fleet of real nodes/);
      const notFound = runCached([], ['plon']);
      expect(notFound.status).toBe(127);
      expect(notFound.stderr).not.toMatch(/ExperimentalWarning|ERR_VM_DYNAMIC_IMPORT/);
    });

    it('the ES-module-only execa is bundled, so the lab commands load where require() of an ES module fails (Node 20 before 20.19)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gridops-nolab-'));
      try {
        const r = runCached(['--no-experimental-require-module'], ['lab', 'status', '--dir', dir]);
        expect(r.stderr).not.toContain('ERR_REQUIRE_ESM');
        expect(r.stderr).toContain(`no lab in ${dir}`);
        expect(r.status).toBe(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
