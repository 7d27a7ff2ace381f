import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
    expect(r.stderr).toContain('valdate examples/small.yaml is not a gridops command');
    expect(r.stderr).toContain('gridops help');
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
        e.isDirectory() ? commandFiles(join(dir, e.name), `${prefix}${e.name}:`) : e.name.endsWith('.js') ? [`${prefix}${e.name.slice(0, -3)}`] : []);
    expect(Object.keys(manifest.commands).sort()).toEqual(commandFiles(`${root}dist/cli/commands`, '').sort());
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    expect(pkg.files).toEqual(expect.arrayContaining(['oclif.manifest.json', 'LICENSE']));
    expect(existsSync(`${root}LICENSE`)).toBe(true);
    expect(readFileSync(`${root}LICENSE`, 'utf8')).toContain('Apache License');
    expect(pkg.license).toBe('Apache-2.0');
  });
});
