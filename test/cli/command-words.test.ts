import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../src/errors/index.js';

/**
 * The words after a command's name, from the built binary: a word a command takes no argument for
 * is gridops' usage error (oclif alone glued it onto the command's name and said "command
 * schema:extra not found"), and an unknown command is named as typed, without its arguments.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });

describe('words after a command', () => {
  it.each([
    [['schema', 'extra'], 'gridops schema'],
    [['schema', 'extra', '--playbook'], 'gridops schema'],
    [['lab', 'up', 'extra'], 'gridops lab up'],
    [['lab', 'status', 'extra'], 'gridops lab status'],
  ])('%j: an unexpected argument, exit 64', (args, gridops) => {
    const r = run(...args);
    expect(r.status).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain(`error: unexpected argument extra: ${gridops} takes no argument\n`);
    expect(r.stderr).toMatch(/^hint: leave it out/m);
    expect(r.stderr).not.toMatch(/not found|schema:extra/);
    expect(r.stdout).toBe('');
  });

  it('with --json: the usage error as the JSON error object alone', () => {
    const r = run('schema', 'extra', '--json');
    expect(r.status).toBe(ExitCode.USAGE);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'USAGE', message: 'unexpected argument extra: gridops schema takes no argument' });
  });

  it('a command that takes an argument still gets it', () => {
    const r = run('plan', 'a', 'b');
    expect(r.status).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain('error: unexpected argument b: gridops plan takes FILE only');
  });
});

describe('help asked with words after a command', () => {
  it.each([
    [['schema', 'extra', '--help'], '$ gridops schema [', 'Print the JSON Schema'],
    [['lab', 'up', 'extra', '--help'], '$ gridops lab up [', 'Build a local lab fleet'],
    [['help', 'schema', 'extra'], '$ gridops schema [', 'Print the JSON Schema'],
    [['plan', 'a.yaml', 'b', '--help'], '$ gridops plan FILE', 'Show what apply would change'],
  ])("%j: the command's help, as git and kubectl give it, exit 0", (args, usage, summary) => {
    const r = run(...args);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith(summary)).toBe(true);
    expect(r.stdout).toContain(usage);
    expect(r.stderr).not.toMatch(/not found|:extra/);
  });

  it('of an unknown command: named as such, exit 127, never oclif\'s "Command valdate not found"', () => {
    const r = run('valdate', '--help');
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/\bvaldate is not a gridops command/);
    expect(r.stderr).toContain('Did you mean validate?');
    expect(r.stdout).toBe('');
  });

  it('of an unknown command on a terminal too, where plugin-not-found would never get to ask (oclif shows help first)', () => {
    // util-linux's script(1) gives the command a terminal; it is Essential in Debian.
    const r = spawnSync('script', ['-qec', `${root}bin/run.js valdate --help`, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    expect(r.status).toBe(127);
    expect(r.stdout).toMatch(/\bvaldate is not a gridops command/);
    expect(r.stdout).not.toMatch(/not found/);
  });

  it('-h is no help flag (oclif has none): a usage error that names --help, as before', () => {
    const r = run('schema', 'extra', '-h');
    expect(r.status).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain('error: gridops schema has no flag -h');
    expect(r.stderr).toContain('gridops schema --help');
  });

  it('--help after -- is an argument, not a help flag', () => {
    const r = run('plan', '--', '--help');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('topology file --help does not exist');
    expect(r.stdout).toBe('');
  });

  it('of a topic or of gridops itself: still the topic\'s and gridops\' own', () => {
    expect(run('lab', '--help').stdout).toMatch(/^ {2}lab up +Build a local lab fleet/m);
    expect(run('--help').stdout).toMatch(/^ {2}apply +Bring every host/m);
  });
});

describe('an unknown command', () => {
  it('is named without the words after it, exit 127, with the command meant', () => {
    const r = run('valdate', 'x');
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/\bvaldate is not a gridops command/);
    expect(r.stderr).not.toMatch(/valdate x/);
    expect(r.stderr).toContain('Did you mean validate?');
  });

  it('under a topic is named with the topic', () => {
    const r = run('lab', 'upp', 'x');
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/\blab upp is not a gridops command/);
    expect(r.stderr).toContain('Did you mean lab up?');
  });

  it('with --json: the error object alone on stdout', () => {
    const r = run('valdate', 'x', '--json');
    expect(r.status).toBe(127);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'UNKNOWN_COMMAND', message: 'valdate is not a gridops command', hint: expect.stringContaining('Did you mean validate?') });
  });

  it('a command of a core plugin is not one: `help lab` still shows the topic', () => {
    const r = run('help', 'lab');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^a local lab fleet of real nodes/);
  });
});
