import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('gridops apply and reset (the binary): flags parse as documented', () => {
  it('plain apply parses with no flag beyond the file, and reaches the topology', () => {
    const r = run('apply', 'no/such/grid.yaml', '--yes');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('topology file no/such/grid.yaml does not exist');
  });

  it('--site parses, and --allow-existing-changes needs it', () => {
    expect(run('apply', 'no/such/grid.yaml', '--site', 'r1/s2').stderr).toContain('topology file no/such/grid.yaml does not exist');
    const r = run('apply', 'no/such/grid.yaml', '--allow-existing-changes');
    expect(r.status).toBe(64); // a usage error, never 2 (changes pending)
    expect(r.stderr).toContain('--site');
  });

  it('--json without --yes is refused before anything runs: there is no question to ask in JSON (exit 64)', () => {
    for (const verb of ['apply', 'reset']) {
      const r = run(verb, 'no/such/grid.yaml', '--json');
      expect(r.status).toBe(64);
      // stdout holds the error as JSON and nothing else: no plan, no question.
      expect(JSON.parse(r.stdout)).toMatchObject({ code: 'USAGE', message: `${verb} --json needs --yes: gridops cannot ask for confirmation when its output is JSON` });
      expect(JSON.parse(r.stdout).hint).toContain('--yes');
    }
    // With --yes (or a saved plan) the run goes on, and reaches the topology.
    const r = run('apply', 'no/such/grid.yaml', '--json', '--yes');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'INPUT_FILE' });
  });

  it('reset is a command, and refuses a missing file clearly', () => {
    const r = run('reset', 'no/such/grid.yaml', '--yes');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('topology file no/such/grid.yaml does not exist');
  });
});
