import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { savedPlan } from './saved-plan-fixture.js';

/**
 * `apply base.yaml --plan plan1.json` with a plan of grid one: said as another grid's plan, before
 * any connection (the nodes' addresses answer nothing: a connection would fail or hang), exit 1,
 * with a hint that runs as written; under --json, one JSON object on stdout.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: dir, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: dir } });
// TEST-NET-1: never routed, so a run that tried to connect would fail there instead.
const grid = (name: string) => `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: ${name} }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 192.0.2.1 }\n`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-other-grid-'));
  writeFileSync(join(dir, 'one.yaml'), grid('one'));
  writeFileSync(join(dir, 'base.yaml'), grid('base'));
  const plan = savedPlan();
  plan.topology = { file: 'one.yaml', grid: 'one', sourceHash: createHash('sha256').update(grid('one')).digest('hex') };
  writeFileSync(join(dir, 'plan1.json'), JSON.stringify(plan));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('apply --plan of another grid', () => {
  it('names both grids before connecting, exit 1, and its hint makes a plan that apply takes', () => {
    const r = run('apply', 'base.yaml', '--plan', 'plan1.json', '--state-dir', join(dir, 'state'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error: this plan is for grid one (from one.yaml), not grid base; nothing was changed\n');
    expect(r.stderr).toContain(`hint: make a plan of grid base with \`gridops plan base.yaml --state-dir ${join(dir, 'state')} --out plan1.json\`, review it, then apply it; or apply this plan with one.yaml`);
    expect(r.stderr).not.toMatch(/connect|unreachable|192\.0\.2\.1/);
  });

  it('under --json: one error object on stdout, STALE_PLAN', () => {
    const r = run('apply', 'base.yaml', '--plan', 'plan1.json', '--json', '--yes', '--state-dir', join(dir, 'state'));
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'STALE_PLAN', message: 'this plan is for grid one (from one.yaml), not grid base; nothing was changed' });
    for (const line of r.stderr.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('the same grid with its topology edited: said before connecting, naming the file', () => {
    writeFileSync(join(dir, 'one.yaml'), grid('one').replace('192.0.2.1', '192.0.2.2'));
    const r = run('apply', 'one.yaml', '--plan', 'plan1.json', '--state-dir', join(dir, 'state'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: the topology changed since the plan was saved: one.yaml's hash differs; nothing was changed\nhint: make a new plan with \`gridops plan one.yaml --state-dir ${join(dir, 'state')} --out plan1.json\`, review it, then apply it`);
  });
});
