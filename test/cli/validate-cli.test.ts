import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { examplesWithImage } from '../support/examples-with-image.js';

/** Runs the real built binary, as a user would (npm test builds first). */
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('gridops validate (the binary)', () => {
  it('exits 0 with a one-line summary for every example (once the sandbox image it names is built)', () => {
    const examples = examplesWithImage();
    try {
      for (const file of readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml'))) {
        const r = spawnSync(`${root}bin/run.js`, ['validate', `examples/${file}`], { cwd: examples.cwd, encoding: 'utf8', timeout: 60_000 });
        expect(r.status).toBe(0);
        // Only settings that gridops does not apply yet may be warned about (they leave the list as they start working).
        expect(r.stderr.split('\n').filter((l) => l && !/warning: .* is accepted but not applied yet|^\s+hint: /.test(l))).toEqual([]);
        expect(r.stdout.trim().split('\n')).toHaveLength(1);
        expect(r.stdout).toMatch(/\d+ regions?, \d+ sub-grids?, \d+ nodes?/);
      }
    } finally {
      examples.remove();
    }
  });

  it('an example whose sandbox image is not built yet: the line that names it, and the command that builds it there', () => {
    // A copy, not the checkout, where someone may have built it.
    const examples = examplesWithImage();
    rmSync(join(examples.cwd, 'examples/images/sandbox.img'));
    const r = spawnSync(`${root}bin/run.js`, ['validate', 'examples/small.yaml'], { cwd: examples.cwd, encoding: 'utf8', timeout: 60_000 });
    examples.remove();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^examples\/small\.yaml:15:85: hypervisor\.sandbox\.image "images\/sandbox\.img" does not exist on this machine \(.*examples\/images\/sandbox\.img\)$/m);
    expect(r.stderr).toMatch(/hint: build one with `gridops lab image --out .*examples\/images\/sandbox\.img`/);
  });

  // Speed is the bench's business (STYLE: benchmarks, not timed tests); a wall-clock bound here only measured the machine's load.
  it('prints FILE:LINE:COLUMN problems with hints and exits 1', () => {
    const r = run('validate', 'test/fixtures/invalid/unknown-node-key.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('test/fixtures/invalid/unknown-node-key.yaml:10:24: unknown key "adress"');
    expect(r.stderr).toContain('hint: ');
  });

  it('--json prints the problems as data', () => {
    const r = run('validate', 'test/fixtures/invalid/dup-address.yaml', '--json');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('VALIDATION');
    expect(out.problems[0]).toMatchObject({ line: 11, column: 33, path: 'regions[0].subgrids[0].nodes[1].address' });
  });

  it('warns, with a position and a hint, about a sub-grid that cannot fail over, and still exits 0', () => {
    const file = 'test/fixtures/warnings/two-eligible-nodes.yaml';
    const r = run('validate', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('(1 warning)');
    expect(r.stderr).toContain(`${file}:10:9: warning: sub-grid "pair" has 2 nodes that may be its super peer, so it cannot elect a successor while its super peer is down (a majority of 2 is 2)`);
    expect(r.stderr).toContain('hint: give it at least 3 nodes');
    expect(r.stderr).not.toContain('trio');
    const json = JSON.parse(run('validate', file, '--json').stdout);
    expect(json.warnings).toEqual([expect.objectContaining({ line: 10, column: 9, path: 'r1/pair' })]);
  });

  it('warns of a rollout.healthTimeout too short for a rolling gate at its line, and exits 0: only apply --rolling refuses it', () => {
    const file = 'test/fixtures/warnings/health-timeout-under-gate-window.yaml';
    const r = run('validate', file);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`${file}:11:27: warning: healthTimeout 2s is not longer than the 3 s a rolling batch's overlay must hold the same super and region peers to pass its gate, so every batch of apply --rolling would fail`);
    const apply = run('apply', file, '--rolling', '--yes');
    expect(apply.status).toBe(64);
    expect(apply.stderr).toContain(`--rolling refused: ${file}:11:27: healthTimeout 2s is not longer than the 3 s`);
  });

  it('no longer warns about hypervisor.enabled or qos.egressMbit: both are applied', () => {
    const file = 'test/fixtures/warnings/unapplied-settings.yaml';
    const r = run('validate', file);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain('not applied yet');
    // Both are applied now (the hypervisor playbook, the qos playbook's egress-limit): no warning.
    expect(r.stderr).not.toContain('hypervisor.enabled');
    expect(r.stderr).not.toContain('egressMbit');
  });

  it("a playbook the topology names must load: a problem at the line that names it", () => {
    const file = 'test/fixtures/playbook-refs/missing.yaml';
    const r = run('validate', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/playbook-refs\/missing\.yaml:5:13: cannot read playbook .*no-such-playbook\.yaml/);
  });

  it('a typo in a playbook\'s template reference fails validation at the playbook string, with the name meant', () => {
    const r = run('validate', 'test/fixtures/playbook-refs/typo.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/playbook-refs\/typo\.yaml:5:13: playbook .*typo-playbook\.yaml has 1 problem: .*typo-playbook\.yaml:3:39: unknown reference \{\{node\.nmae\}\}: node has no "nmae"; did you mean node\.name\?/);
    expect(r.stderr).toContain('hint: node has: name, address, labels');
  });

  it('a missing file is one clear error, exit 1', () => {
    const r = run('validate', 'no/such/file.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: topology file no/such/file.yaml does not exist");
  });

  it('schema prints the JSON Schema', () => {
    const schema = JSON.parse(execFileSync(`${root}bin/run.js`, ['schema'], { cwd: root, encoding: 'utf8' }));
    expect(schema.title).toContain('gridops/v1');
    expect(schema.properties.regions).toBeDefined();
  });
});
