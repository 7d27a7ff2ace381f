/**
 * A state a newer gridops wrote, through the built binary: plan, apply and reset refuse it before
 * any connection (exit 1, the file, hosts and versions, and the way on), and take
 * --allow-older-gridops, which their help explains and which gets the run past the refusal. The
 * commands that do not plan from the state do not take the flag, where it would do nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRIDOPS_VERSION } from '../../src/version.js';
import { appliedRecord } from '../support/host-record.js';

const root = new URL('../../', import.meta.url).pathname;
const newer = `${Number(GRIDOPS_VERSION.split('.')[0]) + 1}.0.0`;

describe('--allow-older-gridops (the binary)', () => {
  let dir: string;
  const stateFile = () => join(dir, '.gridops', 'g.state.json');
  const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: dir, NO_COLOR: '1', COLUMNS: '200' } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-older-cli-'));
    // Port 1 of this machine: a connection, if the run got that far, is refused at once.
    writeFileSync(join(dir, 'grid.yaml'), 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 127.0.0.1, ssh: { port: 1 } }\n');
    mkdirSync(join(dir, '.gridops'));
    const hosts = { n1: appliedRecord({ address: '127.0.0.1', port: 1 }, { gridopsVersion: newer }) };
    writeFileSync(stateFile(), JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([['plan'], ['apply'], ['reset']])('%s --help explains it', (command) => {
    const help = run(command, '--help').stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--allow-older-gridops go on where the state says a newer gridops applied hosts, which is refused without it: go back to this older gridops on purpose');
  });

  it.each([['status'], ['graph'], ['state', 'list']])('%s does not take it', (...command) => {
    expect(run(...command, '--help').stdout).not.toContain('--allow-older-gridops');
  });

  it.each([['plan'], ['apply', '--yes'], ['reset', '--yes']])('%s refuses before connecting, with the way on; the state is left as it was', (...command) => {
    const before = readFileSync(stateFile(), 'utf8');
    const r = run(...command, 'grid.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: the state .gridops/g.state.json was written by gridops ${newer} (host n1), newer than this gridops ${GRIDOPS_VERSION}`);
    expect(r.stderr).toContain(`hint: use gridops ${newer} or later;`);
    expect(r.stderr).toContain('run the same command with --allow-older-gridops');
    expect(r.stderr).not.toMatch(/connecting|unreachable|refused/i);
    expect(readFileSync(stateFile(), 'utf8')).toBe(before);
  });

  describe('a saved plan (plan --out, apply --plan)', () => {
    const planFile = () => join(dir, 'plan.json');

    it('made with --allow-older-gridops: the plan records it, and apply --plan without it refuses (64) before the lock or any connection, saying so', () => {
      run('plan', 'grid.yaml', '--allow-older-gridops', '--out', planFile());
      expect(JSON.parse(readFileSync(planFile(), 'utf8'))).toMatchObject({ allowOlderGridops: true });
      const before = readFileSync(stateFile(), 'utf8');
      const r = run('apply', 'grid.yaml', '--plan', planFile());
      expect(r.status).toBe(64);
      expect(r.stderr).toContain('error: the saved plan was made with --allow-older-gridops');
      expect(r.stderr).toContain('hint: pass --allow-older-gridops again to apply it');
      expect(r.stderr).not.toMatch(/connecting|unreachable/i);
      expect(readFileSync(stateFile(), 'utf8')).toBe(before);
    });

    it('made with --allow-older-gridops: the consent is asked again even where the state no longer says a newer gridops applied', () => {
      run('plan', 'grid.yaml', '--allow-older-gridops', '--out', planFile());
      writeFileSync(stateFile(), JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 2, hosts: {} }));
      const r = run('apply', 'grid.yaml', '--plan', planFile());
      expect(r.status).toBe(64);
      expect(r.stderr).toContain('error: the saved plan was made with --allow-older-gridops');
    });

    it('made with --allow-older-gridops and applied with it: goes on past the check, to the host', () => {
      run('plan', 'grid.yaml', '--allow-older-gridops', '--out', planFile());
      const r = run('apply', 'grid.yaml', '--plan', planFile(), '--allow-older-gridops');
      expect(r.stderr).not.toContain('was made with --allow-older-gridops');
      expect(r.stderr).toContain('going on, as --allow-older-gridops asks');
      expect(r.stderr).toContain('connecting to 1 host');
    });

    it('made without it (the state not yet newer), applied with it: the flag does what it does today, and without it the state check refuses', () => {
      const newerState = readFileSync(stateFile(), 'utf8');
      writeFileSync(stateFile(), JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 0, hosts: {} }));
      run('plan', 'grid.yaml', '--out', planFile());
      expect(JSON.parse(readFileSync(planFile(), 'utf8'))).not.toHaveProperty('allowOlderGridops');
      writeFileSync(stateFile(), newerState);
      const without = run('apply', 'grid.yaml', '--plan', planFile());
      expect(without.status).toBe(1);
      expect(without.stderr).toContain('run the same command with --allow-older-gridops');
      const withFlag = run('apply', 'grid.yaml', '--plan', planFile(), '--allow-older-gridops');
      expect(withFlag.stderr).toContain('going on, as --allow-older-gridops asks');
      expect(withFlag.stderr).toContain('connecting to 1 host');
    });
  });

  it('plan --allow-older-gridops goes on to the host, saying so', () => {
    const r = run('plan', 'grid.yaml', '--allow-older-gridops');
    expect(r.stderr).toContain(`warning: the state .gridops/g.state.json was written by gridops ${newer} (host n1), newer than this gridops ${GRIDOPS_VERSION}: going on, as --allow-older-gridops asks`);
    expect(r.stderr).not.toContain('hint: use gridops');
    // Nothing listens on port 1: the host is unreachable, which only a run past the check finds.
    expect(r.stderr).toContain('connecting to 1 host');
    expect(r.stderr).toMatch(/n1: unreachable/);
  });
});
