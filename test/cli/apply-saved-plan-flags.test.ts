import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Apply from '../../src/commands/apply.js';
import { runCommand } from '../support/run-command.js';
import { savedPlan } from './saved-plan-fixture.js';

const plan = savedPlan();

/** `gridops apply ...argv` in this process: its exit code and what it wrote to stderr. */
const apply = (...argv: string[]) => runCommand(Apply, ...argv);

let dir: string;
let saved: string;
// No such topology: a run that gets past its flags stops there (exit 1), before any connection.
const topology = 'no/such/grid.yaml';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-apply-flags-'));
  saved = join(dir, 'plan.json');
  writeFileSync(saved, JSON.stringify(plan));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('apply --plan refuses the flags a saved plan makes meaningless', () => {
  it('--playbook other than the plan\'s: a usage error (64) that says how the plan was made, not silently ignored', async () => {
    const r = await apply(topology, '--plan', saved, '--playbook', 'agent');
    expect(r.exit).toBe(64);
    expect(r.stderr).toMatch(/--playbook agent does not match the saved plan, which was made for the grid's workflow \(no --playbook\)/);
    expect(r.stderr).not.toContain('does not exist');
    writeFileSync(saved, JSON.stringify({ ...plan, adHocPlaybooks: true, playbooks: ['node-base', '/pb/site.yaml'] }));
    const other = await apply(topology, '--plan', saved, '--playbook', 'node-base');
    expect(other.exit).toBe(64);
    expect(other.stderr).toMatch(/which was made with --playbook node-base, \/pb\/site\.yaml/);
  });

  it('--playbook that repeats the plan\'s own playbooks is accepted (a script that plans and applies with the same flags)', async () => {
    writeFileSync(saved, JSON.stringify({ ...plan, adHocPlaybooks: true, playbooks: ['node-base', join(dir, 'site.yaml')] }));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await apply(topology, '--plan', saved, '--playbook', 'node-base', '--playbook', './site.yaml');
      expect(r.stderr).toContain(`topology file ${topology} does not exist`);
      expect(r.exit).toBe(1);
    } finally {
      process.chdir(cwd);
    }
  });

  it("--limit other than the plan's: a usage error (64) that says which nodes the plan was made for", async () => {
    const r = await apply(topology, '--plan', saved, '--limit', 'n1');
    expect(r.exit).toBe(64);
    expect(r.stderr).toMatch(/--limit n1 does not match the saved plan, which was made for every node \(it records no --limit\)/);
    expect(r.stderr).toContain('a plan made with --limit by a gridops that did not record it yet must be made again');
    writeFileSync(saved, JSON.stringify({ ...plan, limit: ['n1', 'web-*'] }));
    const other = await apply(topology, '--plan', saved, '--limit', 'n1');
    expect(other.exit).toBe(64);
    expect(other.stderr).toMatch(/which was made with --limit n1,web-\*/);
  });

  it("--limit that repeats the plan's own selectors, in any order, is accepted", async () => {
    writeFileSync(saved, JSON.stringify({ ...plan, limit: ['n1', 'web-*'] }));
    const r = await apply(topology, '--plan', saved, '--limit', 'web-*,n1', '--limit', 'n1');
    expect(r.stderr).toContain(`topology file ${topology} does not exist`);
    expect(r.exit).toBe(1);
  });

  it('--site: a usage error (64)', async () => {
    const r = await apply(topology, '--plan', saved, '--site', 'r1/s1');
    expect(r.exit).toBe(64);
    expect(r.stderr).toContain('error: --plan and --site cannot be used together\nhint: leave out --site or --plan');
  });

  it('the flags of how to apply it still parse with --plan', async () => {
    const r = await apply(topology, '--plan', saved, '--yes', '--rolling', '--fail-fast', '--no-verify', '--replace-sandbox', '--concurrency', '3', '--state-dir', dir);
    expect(r.stderr).toContain(`topology file ${topology} does not exist`);
    expect(r.exit).toBe(1);
  });

  it('--playbook and --site still work without --plan', async () => {
    for (const flags of [['--playbook', 'agent'], ['--site', 'r1/s1']]) {
      const r = await apply(topology, '--yes', ...flags);
      expect(r.stderr).toContain(`topology file ${topology} does not exist`);
      expect(r.exit).toBe(1);
    }
  });
});
