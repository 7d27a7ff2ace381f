import { spawnSync } from 'node:child_process';

/**
 * A command line oclif's parser refuses gets gridops' `error:` and `hint:` lines (exit 64), and with
 * --json the error object alone on stdout, whichever kind of refusal it is. A flag given no value
 * was once a CLIError the command's catch let through as oclif printed it (" ›   Error: Flag --out
 * expects a value", nothing on stdout with --json); the others said oclif's words ("Parsing
 * --concurrency Expected an integer…", "All of the following must be provided when using…").
 */
const root = new URL('../../', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });

describe("command-line errors in gridops' format", () => {
  it.each([
    [['plan', 'examples/small.yaml', '--out'], 'error: --out needs a value', 'hint: put a value after --out, e.g. --out plan.json'],
    [['plan', 'examples/small.yaml', '--limit'], 'error: --limit needs a value', 'hint: put a value after --limit, e.g. --limit node-06'],
    [['plan', 'examples/small.yaml', '--concurrency'], 'error: --concurrency needs a value', 'hint: put a value after --concurrency, e.g. --concurrency 50'],
    [['plan', 'examples/small.yaml', '--playbook'], 'error: --playbook needs a value', 'hint: put a value after --playbook, e.g. --playbook qos'],
    [['status', 'examples/small.yaml', '--wait'], 'error: --wait needs a value', 'hint: put a value after --wait, e.g. --wait 30s'],
    [['plan', 'examples/small.yaml', '--concurrency', '0'], 'error: --concurrency 0 is less than 1, the least it takes', 'hint: give --concurrency a whole number from 1 to 1000, e.g. --concurrency 50'],
    [['apply', 'examples/small.yaml', '--allow-existing-changes'], 'error: --allow-existing-changes works only with --site', 'hint: add --site eu-west/rennes-b, or leave out --allow-existing-changes'],
    [['apply', 'examples/small.yaml', '--limit=n1', '--site', 'x'], 'error: --site and --limit cannot be used together', 'hint: leave out --limit or --site'],
    [['plan', 'examples/small.yaml', 'b'], 'error: unexpected argument b: gridops plan takes FILE only', 'hint: leave it out, as in: gridops plan topology.yaml'],
  ])('%j', (args, error, hint) => {
    const r = run(...args);
    expect(r.status).toBe(64);
    expect(r.stderr.split('\n')).toEqual([error, hint, '']);
    expect(r.stdout).toBe('');
  });

  it('--json: the error object alone on stdout, nothing on stderr', () => {
    const r = run('plan', 'examples/small.yaml', '--out', '--json');
    expect(r.status).toBe(64);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ error: 'UsageError', code: 'USAGE', message: '--out needs a value', hint: 'put a value after --out, e.g. --out plan.json' });
  });
});
