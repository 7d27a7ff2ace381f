import { spawnSync } from 'node:child_process';

/**
 * A --playbook value that cannot be used is a usage error (exit 64, README "Exit codes"), as an
 * unusable value of any other flag is: an empty one (`--playbook "$PB"` with PB unset) was "no
 * playbook named : … there is no file  in the current directory" (exit 1) with the hint "e.g.
 * ./.yaml", and a playbook given twice was "base.yaml: 0 problems found, and 1 problem on the
 * command line" (exit 1), as if the topology were at fault.
 */
const root = new URL('../../', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });

describe('--playbook values that cannot be used (exit 64)', () => {
  it.each([['plan'], ['validate']])('%s: an empty --playbook is refused before any file is read', (command) => {
    const r = run(command, 'no/such/grid.yaml', '--playbook', '');
    expect(r.status).toBe(64);
    expect(r.stderr.split('\n')).toEqual(['error: --playbook "" names no playbook', "hint: give one of gridops' playbooks by name (--playbook qos) or a file (--playbook ./site.yaml), or leave --playbook out", '']);
  });

  it('a playbook given twice says which, and how to give it', () => {
    const r = run('plan', 'examples/small.yaml', '--playbook', 'node-base', '--playbook', 'node-base');
    expect(r.status).toBe(64);
    expect(r.stderr.split('\n')).toEqual(['error: --playbook node-base is given twice: each playbook runs once per node', 'hint: give each playbook once: --playbook node-base', '']);
  });

  it('--json: the same usage error as data', () => {
    const r = run('plan', 'examples/small.yaml', '--playbook', 'node-base', '--playbook=node-base', '--json');
    expect(r.status).toBe(64);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'USAGE', message: '--playbook node-base is given twice: each playbook runs once per node' });
  });
});
