import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../src/errors/index.js';
import { readmeExitCodes } from './readme-exit-codes.js';
import { examplesWithImage } from '../support/examples-with-image.js';

/**
 * The exit codes a CI pipeline sees, from the real built binary (npm test builds first). The
 * codes that need a host (2 for changes, 130 for an interrupt) are run against the lab's nodes in
 * test/e2e/reliability.test.ts ("README's exit codes that need a host"); this file checks README's
 * table against the one table in code.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });

describe('exit codes (the binary)', () => {
  it("README's table lists exactly the codes of src/errors' table", () => {
    expect(readmeExitCodes().sort((a, b) => a - b)).toEqual(Object.values(ExitCode).sort((a, b) => a - b));
  });

  it('0: a valid topology (with the sandbox image it names)', () => {
    const examples = examplesWithImage();
    try {
      expect(spawnSync(`${root}bin/run.js`, ['validate', 'examples/small.yaml'], { cwd: examples.cwd, stdio: 'ignore', timeout: 15_000 }).status).toBe(ExitCode.OK);
    } finally {
      examples.remove();
    }
  });

  it('1: an invalid topology, a missing file, a directory (with a hint, never a bare EISDIR)', () => {
    expect(run('validate', 'test/fixtures/invalid/dup-address.yaml').status).toBe(ExitCode.FAILURE);
    expect(run('validate', 'no/such.yaml').status).toBe(ExitCode.FAILURE);
    const dir = run('validate', 'examples');
    expect(dir.status).toBe(ExitCode.FAILURE);
    expect(dir.stderr).toContain('error: examples is a directory, not a topology file');
    expect(dir.stderr).toContain('hint: give one of its YAML files, e.g. examples/large.yaml');
    expect(dir.stderr).not.toMatch(/EISDIR/);
  });

  it.each([
    [['validate', '--bogus', 'examples/small.yaml'], 'error: gridops validate has no flag --bogus'],
    [['validate'], 'error: gridops validate: missing FILE, the topology file (YAML)'],
    [['plan', 'examples/small.yaml', '--detailed-exitcode', '--nope'], 'error: gridops plan has no flag --nope'],
    [['plan', 'examples/small.yaml', '--concurrency', 'many'], 'error: --concurrency many is not a whole number'],
    [['lab', 'up', '--kind', 'zeppelin'], 'error: --kind zeppelin is not one of container, netns, vm'],
    [['status', 'examples/small.yaml', '--wait', '30'], '"30" has no unit'],
    [['status', 'examples/small.yaml', '--wait', '1m30s'], '"1m30s" combines units'],
    [['status', 'examples/small.yaml', '--wait', '0s'], 'is zero'],
    [['plan', 'examples/small.yaml', '--persist', '2h'], 'hint: use at most 30m'],
    // oclif's plugins (help, autocomplete) load their own copy of @oclif/core: their errors exit 64 too.
    [['help', 'no-such'], 'Command no-such not found'],
    [['autocomplete', 'fish'], 'fish'],
  ])('64: usage error %j', (args, fragment) => {
    const r = run(...args);
    expect(r.status).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain(fragment);
    expect(r.stderr).not.toMatch(/RangeError|EISDIR/);
  });

  it('127: an unknown command, as a shell says it (oclif\'s plugin-not-found; a terminal is asked "Did you mean …?")', () => {
    const r = run('no-such-command');
    expect(r.status).toBe(127);
    expect(r.stderr).toContain('no-such-command is not a gridops command');
  });

  it('64 with --json: the usage error as data', () => {
    const r = run('validate', '--json', '--bogus', 'x.yaml');
    expect(r.status).toBe(ExitCode.USAGE);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'USAGE', message: 'gridops validate has no flag --bogus' });
  });

  it('GRIDOPS_PERSIST is --persist from the environment, checked the same way', () => {
    const r = spawnSync(`${root}bin/run.js`, ['plan', 'examples/small.yaml'], { cwd: root, encoding: 'utf8', timeout: 15_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', GRIDOPS_PERSIST: '60' } });
    expect(r.status).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain('GRIDOPS_PERSIST=60 (the default of --persist, from the environment): "60" has no unit');
    expect(r.stderr).toContain('hint: set GRIDOPS_PERSIST to a duration such as 60s');
  });

  it('a duration hint names a real fix', () => {
    expect(run('status', 'examples/small.yaml', '--wait', '30').stderr).toContain('hint: add a unit: 30s');
  });
});
