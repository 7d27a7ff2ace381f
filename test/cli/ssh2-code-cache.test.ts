/**
 * ssh2 as the built binary loads it: from the build's bundle of its client (dist/cli/ssh2-client.cjs,
 * scripts/bundle-cli.js), compiled from the code cache the build wrote after a connection on loopback
 * (scripts/ssh2-code-cache.js), with none of ssh2's JavaScript read from node_modules (only its
 * native binding and cpu-features). The build's files are checked everywhere; a plan against a real sshd on loopback
 * as root only (sshd's root login).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatKnownHostsLine } from '../../src/transport/known-hosts.js';
import { copyOfBuild } from '../support/copy-of-build.js';
import { oneSubgridTopology } from '../transport/connect-support.js';
import { makeKey, startSshd, tempDir, type Sshd } from '../transport/sshd-harness.js';

const root = new URL('../../', import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;

describe("ssh2's bundle in the build", () => {
  // The warm-up (scripts/ssh2-code-cache.js) only warns when its connection fails: this is what says so.
  it('the build wrote the bundle and its cache', () => {
    expect(existsSync(`${root}dist/cli/ssh2-client.cjs`)).toBe(true);
    expect(existsSync(`${root}dist/cli/ssh2-client.cjs.v8cache`)).toBe(true);
  });

  it("the bundle requires cpu-features from ssh2's directory, where a strict layout (pnpm's) nests it", () => {
    // node_modules/ssh2 links to ssh2 in pnpm's store, beside its own dependencies; gridops' own
    // node_modules has no cpu-features.
    const { pkg, remove } = copyOfBuild('gridops-ssh2-strict-');
    try {
      const store = `${pkg}node_modules/.pnpm/ssh2/node_modules/`;
      rmSync(`${pkg}node_modules`);
      mkdirSync(store, { recursive: true });
      cpSync(realpathSync(`${root}node_modules/ssh2`), `${store}ssh2`, { recursive: true });
      symlinkSync(realpathSync(`${root}node_modules/cpu-features`), `${store}cpu-features`);
      symlinkSync(`${store}ssh2`, `${pkg}node_modules/ssh2`);
      const probe = `import { requireCached } from ${JSON.stringify(`${pkg}bin/require-cached.js`)}; requireCached(${JSON.stringify(`${pkg}dist/cli/ssh2-client.cjs`)});
console.log(JSON.stringify(Object.keys((await import('node:module')).createRequire(import.meta.url).cache).filter((f) => f.includes('cpu-features'))));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', timeout: 20_000 });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toContain(`${realpathSync(`${root}node_modules/cpu-features`)}/lib/index.js`);
    } finally {
      remove();
    }
  });

  it("the warm-up's timeout removes its folder, which holds a private key, and lets the build go on", () => {
    const { pkg, remove } = copyOfBuild('gridops-ssh2-warmup-');
    const tmp = mkdtempSync(join(tmpdir(), 'gridops-ssh2-warmup-tmp-'));
    try {
      // The warm-up's 20 s made 1 ms: its connection on loopback cannot finish in time.
      const shortTimeout = join(pkg, 'short-timeout.cjs');
      writeFileSync(shortTimeout, 'const later = globalThis.setTimeout;\nglobalThis.setTimeout = (fn, ms, ...rest) => later(fn, ms === 20_000 ? 1 : ms, ...rest);\n');
      const r = spawnSync(process.execPath, ['--require', shortTimeout, `${pkg}scripts/ssh2-code-cache.js`], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, TMPDIR: tmp } });
      expect(r.stderr).toContain('did not finish in 20 s');
      expect(r.status).toBe(0);
      expect(readdirSync(tmp)).toEqual([]);
      expect(existsSync(`${pkg}dist/cli/ssh2-client.cjs.v8cache`)).toBe(false);
    } finally {
      remove();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

(asRoot ? describe : describe.skip)('ssh2 in the built binary', () => {
  let dir: string;
  let sshd: Sshd;
  let topology: string;
  let playbook: string;

  beforeAll(async () => {
    dir = tempDir('gridops-ssh2-cache-');
    const client = makeKey(join(dir, 'id'));
    const host = makeKey(join(dir, 'host'));
    writeFileSync(join(dir, 'authorized_keys'), `${client.pub}\n`);
    sshd = await startSshd(dir, 'ssh2-cache', host, join(dir, 'authorized_keys'));
    writeFileSync(join(dir, 'known_hosts'), `${formatKnownHostsLine('127.0.0.1', sshd.port, host.blob)}\n`);
    topology = join(dir, 'topology.yaml');
    writeFileSync(topology, oneSubgridTopology(`port: ${sshd.port}, identityFile: ${client.file}, knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 127.0.0.1 }']));
    playbook = join(dir, 'one-file.yaml');
    writeFileSync(playbook, `name: one-file\nresources:\n  - file: { path: ${join(dir, 'absent', 'motd')}, content: "hello\\n", mode: "0644" }\n`);
    mkdirSync(join(dir, 'home'));
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A plan of one file on the host (with -v), run by the package at `pkg`: its profile, what it did with each file's cache, and what it required from node_modules. */
  const plan = (pkg: string) => {
    const report =
      "process.on('exit', () => process.stderr.write('caches: ' + JSON.stringify(Object.fromEntries(globalThis[Symbol.for('gridops.codeCaches')])) + '\\nloaded: ' + JSON.stringify(Object.keys(require('node:module')._cache).filter((f) => f.includes('/node_modules/'))) + '\\n'));";
    const probe = `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ${report} await import(${JSON.stringify(`${pkg}bin/run.js`)});`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe, '_', 'plan', topology, '--playbook', playbook, '-v'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, HOME: join(dir, 'home'), XDG_CACHE_HOME: join(dir, 'home', '.cache'), GRIDOPS_PERSIST: '', FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    // The run's own messages, before the report (whose files' names may say "error").
    expect(r.stderr.slice(0, r.stderr.indexOf('caches: '))).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('+ file');
    return {
      profile: r.stderr.split('\n').filter((l) => l.startsWith('gridops: profile: ')),
      caches: JSON.parse(/^caches: (.*)$/m.exec(r.stderr)![1]!) as Record<string, string>,
      loaded: JSON.parse(/^loaded: (.*)$/m.exec(r.stderr)![1]!) as string[],
    };
  };

  it('a plan connects with ssh2 from the bundle and its cache, reading none of its JavaScript from node_modules', () => {
    const { profile, caches, loaded } = plan(root);
    expect(caches[`${root}dist/cli/ssh2-client.cjs`]).toBe('used');
    // The CLI's own bundle's cache is said on the start-up line, as bin/require-cached.js recorded it.
    expect(profile[0]).toMatch(/^gridops: profile: start-up \(process start to the first phase, code cache used\): \d+ ms$/);
    expect(profile.at(-1)).toBe('gridops: profile: ssh2 loaded from its bundle, code cache used');
    // ssh2's native binding and cpu-features (an optional package, native code behind one small file)
    // are required from node_modules; ssh2's JavaScript and its packages' are in the bundle.
    expect(loaded.filter((f) => /\/node_modules\/(ssh2|asn1|bcrypt-pbkdf|tweetnacl|safer-buffer)\//.test(f) && !f.endsWith('.node'))).toEqual([]);
    expect(loaded).toContain(`${realpathSync(`${root}node_modules`)}/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node`);
  });

  it("plan -v --json and apply -v --json: the profile line carries the CLI bundle's code cache, and where ssh2 came from with its cache", () => {
    for (const command of [['plan'], ['apply', '--yes']]) {
      const r = spawnSync(`${root}bin/run.js`, [...command, topology, '--playbook', playbook, '-v', '--json'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, HOME: join(dir, 'home'), XDG_CACHE_HOME: join(dir, 'home', '.cache'), GRIDOPS_PERSIST: '', NO_COLOR: '1' },
      });
      // The apply fails (the playbook's file is in a directory that is not there); a failed run says its profile too.
      expect(r.status).toBe(command[0] === 'plan' ? 0 : 1);
      const profile = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string }).find((l) => l.type === 'profile');
      expect(profile).toMatchObject({ codeCache: 'used', ssh2: { from: 'bundle', codeCache: 'used' } });
    }
  });

  it("a plan whose installed ssh2 is not the bundle's (updated after the build) loads ssh2 from node_modules", () => {
    const { pkg, remove } = copyOfBuild('gridops-ssh2-other-');
    try {
      const bundle = `${pkg}dist/cli/ssh2-client.cjs`;
      const text = readFileSync(bundle, 'latin1');
      expect(text).toMatch(/^\/\* ssh2 \S+ /);
      writeFileSync(bundle, text.replace(/^\/\* ssh2 \S+ /, '/* ssh2 1.0.0 '), 'latin1');
      const { profile, caches, loaded } = plan(pkg);
      expect(profile.at(-1)).toBe('gridops: profile: ssh2 loaded from node_modules');
      expect(caches[`${pkg}dist/cli/gridops.cjs`]).toBe('used');
      expect(Object.keys(caches).filter((f) => f.endsWith('/ssh2-client.cjs'))).toEqual([]);
      expect(loaded).toContain(`${realpathSync(`${root}node_modules`)}/ssh2/lib/client.js`);
    } finally {
      remove();
    }
  });
});
