import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('gridops apply and reset (the binary): flags parse as documented', () => {
  it('plain apply parses with no flag beyond the file, and reaches the topology', () => {
    const r = run('apply', 'no/such/grid.yaml', '--yes');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot read no/such/grid.yaml');
  });

  it('--site parses, and --allow-existing-changes needs it', () => {
    expect(run('apply', 'no/such/grid.yaml', '--site', 'r1/s2').stderr).toContain('cannot read no/such/grid.yaml');
    const r = run('apply', 'no/such/grid.yaml', '--allow-existing-changes');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('--site');
  });

  it('reset is a command, and refuses a missing file clearly', () => {
    const r = run('reset', 'no/such/grid.yaml', '--yes');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot read no/such/grid.yaml');
  });
});
