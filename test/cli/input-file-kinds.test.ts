import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A path given as the topology or a --playbook that is no regular file. A named pipe is read as
 * `cat` reads one: process substitution (`gridops validate <(gen)`, as Terraform users write
 * `-var-file=<(...)`) gives one. A device is refused (it may never end), and a symbolic link loop
 * was told that `gridops lab up` writes a topology: both are refused with what they are, exit 1.
 */
const root = new URL('../../', import.meta.url).pathname;
// Bounded: a run that waits for ever must fail this test, not hang it.
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 20_000 });
const bash = (script: string) => spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });

let dir: string;
let loop: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-input-kinds-'));
  loop = join(dir, 'loop.yaml');
  symlinkSync(join(dir, 'other.yaml'), loop);
  symlinkSync(loop, join(dir, 'other.yaml'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a topology or playbook path that is no regular file', () => {
  it('process substitution (a named pipe at /dev/fd/N) is read as the topology and as a --playbook', () => {
    const r = bash(`"${root}bin/run.js" validate <(cat examples/small.yaml) --playbook <(cat playbooks/node-base.yaml)`);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a device as the topology or --playbook is refused at once, exit 1, saying what it is, and --json stays one JSON document', () => {
    const r = run('validate', '/dev/zero');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error: topology file /dev/zero is a device, not a regular file\nhint: give the path of a regular file: save what it gives to a file first, then give that file');
    const playbook = run('validate', 'examples/small.yaml', '--playbook', '/dev/zero', '--json');
    expect(playbook.status).toBe(1);
    expect(JSON.parse(playbook.stdout)).toMatchObject({ code: 'INPUT_FILE', message: 'playbook /dev/zero is a device, not a regular file' });
  });

  it('a symbolic link loop is said as one, with a hint about the link, not about `gridops lab up`', () => {
    const topology = run('validate', loop);
    expect(topology.status).toBe(1);
    expect(topology.stderr).toContain(`error: topology file ${loop} is a symbolic link loop (ELOOP): its links lead back to themselves\nhint: fix the link: \`ls -l\` on that path shows where it points`);
    expect(topology.stderr).not.toContain('lab up');
    const playbook = run('validate', 'examples/small.yaml', '--playbook', loop, '--json');
    expect(playbook.status).toBe(1);
    expect(JSON.parse(playbook.stdout)).toMatchObject({ code: 'INPUT_FILE', message: `playbook ${loop} is a symbolic link loop (ELOOP): its links lead back to themselves`, hint: expect.stringMatching(/^fix the link: /) });
  });

  it('a directory as --playbook says it is a directory, and a regular file behind a symlink is still read', () => {
    const r = run('validate', 'examples/small.yaml', '--playbook', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: playbook ${dir} is a directory, not a regular file\nhint: give the path of a file in it, not of the folder`);
    const file = join(dir, 'grid-file.yaml');
    const nodes = ['a', 'b', 'c'].map((n, i) => `          - { name: ${n}, address: 10.0.0.${i + 1} }`).join('\n');
    writeFileSync(file, `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n${nodes}\n`);
    const link = join(dir, 'grid-link.yaml');
    symlinkSync(file, link);
    const r2 = run('validate', link);
    expect(r2.stderr).toBe('');
    expect(r2.status).toBe(0);
  });
});
