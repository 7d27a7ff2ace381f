import { spawnSync } from 'node:child_process';

/**
 * A command run without its topology file says what is missing and shows a command that works,
 * exit 64. oclif's own message appended a note on multi-value flags to every such error, even with
 * no flag given, before the one thing a person needed to read.
 */
const root = new URL('../../', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } });

describe('a missing argument', () => {
  it('plan with no file: what is missing and an example, nothing else, exit 64', () => {
    const r = run('plan');
    expect(r.status).toBe(64);
    expect(r.stderr).toBe('error: gridops plan: missing FILE, the topology file\nhint: for example: gridops plan topology.yaml\n');
    expect(r.stdout).toBe('');
  });

  it.each([
    [['apply'], 'error: gridops apply: missing FILE, the topology file', 'hint: for example: gridops apply topology.yaml'],
    [['status', '--limit', 'n1'], 'error: gridops status: missing FILE, the topology file', 'hint: for example: gridops status topology.yaml'],
    [['state', 'show', 'topology.yaml'], 'error: gridops state show: missing NODE, the node name', 'hint: for example: gridops state show topology.yaml n1'],
  ])('%j', (args, error, hint) => {
    const r = run(...args);
    expect(r.status).toBe(64);
    expect(r.stderr.split('\n')).toEqual([error, hint, '']);
  });

  it('--json: the same error as data', () => {
    const r = run('plan', '--json');
    expect(r.status).toBe(64);
    expect(JSON.parse(r.stdout)).toEqual({ error: 'UsageError', code: 'USAGE', message: 'gridops plan: missing FILE, the topology file', hint: 'for example: gridops plan topology.yaml' });
  });

  it('--playbook takes one value, so a file after it is the file (as after --limit)', () => {
    const r = run('plan', '--playbook', 'qos', 'no/such/grid.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('topology file no/such/grid.yaml does not exist');
  });
});
