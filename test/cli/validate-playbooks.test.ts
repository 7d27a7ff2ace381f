import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `validate --playbook`: the playbooks of an ad-hoc run are checked before anything is touched, as
 * plan and apply load them, and a broken one's hint names a command that checks it again (it used
 * to say "run `gridops validate` again", which had no --playbook and never looked at the playbook).
 */
const root = new URL('../../', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });

let dir: string;
let bad: string;
let good: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-validate-pb-'));
  bad = join(dir, 'bad.yaml');
  good = join(dir, 'good.yaml');
  writeFileSync(bad, 'name: bad\nresources:\n  - kind: nosuch\n    path: /x\n');
  writeFileSync(good, 'name: good\nresources:\n  - directory: { path: /etc/gridops-site }\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gridops validate --playbook', () => {
  it('checks built-in and local playbooks beside the topology, before or after the file', () => {
    const r = run('validate', 'examples/small.yaml', '--playbook', 'qos', '--playbook', good);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`; playbooks qos, ${good} valid`);
    const before = run('validate', '--playbook', 'qos', 'examples/small.yaml', '--json');
    expect(before.status).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ valid: true, playbooks: ['qos'] });
  });

  it('a broken playbook: its problems at their lines, exit 1, and a hint that runs this very check', () => {
    const r = run('validate', 'examples/small.yaml', '--playbook', 'qos', '--playbook', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:3:5: a resource entry must have exactly one key`);
    expect(r.stderr).toContain(`hint: fix the lines above, then run \`gridops validate examples/small.yaml --playbook qos --playbook ${bad}\` again`);
  });

  it("plan's hint for a broken --playbook names a command that works (exit 1 with the problem, not 64)", () => {
    const plan = run('plan', 'examples/small.yaml', '--playbook', bad);
    expect(plan.status).toBe(1);
    const hint = /hint: fix the lines above, then run `([^`]+)` again/.exec(plan.stderr);
    expect(hint?.[1]).toBe(`gridops validate examples/small.yaml --playbook ${bad}`);
    const again = run(...hint![1]!.split(' ').slice(1));
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`${bad}:3:5: a resource entry must have exactly one key`);
  });

  it('`--playbook good.yaml` is the file in the current directory, as ansible-playbook takes it', () => {
    const r = spawnSync(`${root}bin/run.js`, ['validate', `${root}examples/small.yaml`, '--playbook', 'good.yaml', '--json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, playbooks: [good], flagWarnings: [] });
  });

  it("`--playbook qos` beside a file named qos runs gridops' own, and a warning says so", () => {
    writeFileSync(join(dir, 'qos'), 'name: mine\nresources: []\n');
    const r = spawnSync(`${root}bin/run.js`, ['validate', `${root}examples/small.yaml`, '--playbook', 'qos'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`warning: --playbook qos runs gridops' own playbook qos, not the file ${join(dir, 'qos')}; to run the file, write ./qos\n`);
    expect(r.stdout).toContain('; playbook qos valid (1 warning)');
  });

  it('a playbook that does not exist is one clear error, exit 1', () => {
    const r = run('validate', 'examples/small.yaml', '--playbook', join(dir, 'missing.yaml'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: cannot read playbook ${join(dir, 'missing.yaml')}`);
  });

  it('a --playbook that names nothing, in a run with other problems: all of them, the command line after the files', () => {
    const topology = join(dir, 'broken.yaml');
    writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions: []\nbogus: 1\n');
    const r = run('validate', topology, '--playbook', bad, '--playbook', 'nosuch');
    expect(r.status).toBe(1);
    const lines = r.stderr.split('\n');
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    expect(at(new RegExp(`^${topology}:5:1: `))).toBeGreaterThanOrEqual(0);
    expect(at(new RegExp(`^${bad}:3:`))).toBeGreaterThan(at(new RegExp(`^${topology}:`)));
    expect(at(/^command line: no playbook named nosuch/)).toBeGreaterThan(at(new RegExp(`^${bad}:3:`)));
    expect(r.stderr).toMatch(/\nerror: .*problems? found, and 1 problem on the command line\n/);
  });
});
