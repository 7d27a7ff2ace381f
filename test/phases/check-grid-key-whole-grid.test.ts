import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import { checkGridKeyWholeGrid } from '../../src/phases/check-grid-key-whole-grid.js';
import { checkRolling } from '../../src/phases/check-rolling.js';
import { APPLY_PHASES } from '../../src/phases/apply.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { Change } from '../../src/plan/change.js';
import { PLAN_FORMAT, type HostPlan } from '../../src/plan/plan.js';

const content = { name: 'content', before: '(sensitive)', after: '(sensitive)' };
const keyFile = (action: 'create' | 'update'): Change => ({ kind: 'file', id: 'file /etc/gridagent/grid.key', action, summary: `${action} /etc/gridagent/grid.key`, path: '/etc/gridagent/grid.key', fields: [content], contentSha256: 'hmac-sha256:x', sensitive: true, secret: 'grid-key' }) as unknown as Change;
const plainFile: Change = { kind: 'file', id: 'file /etc/motd', action: 'update', summary: 'update /etc/motd', path: '/etc/motd', fields: [content], contentSha256: 'abc', sensitive: false } as unknown as Change;
const unreachable = { kind: 'unreachable' as const, message: 'cannot connect to n3:22' };

/** A grid of n1, n2, n3 (and n4 when `withN4`): the run planned `hosts`, a host's value its changes or its error. */
function contextWith(hosts: Record<string, Change[] | HostPlan['error']>, options: { limit?: string[]; rolling?: boolean; site?: string; withN4?: boolean } = {}): RunContext {
  const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 10, acceptNewHostKeys: false, progress: () => undefined, failFast: false, rolling: options.rolling ?? false, ...(options.limit ? { limit: options.limit } : {}), ...(options.site ? { site: options.site } : {}) });
  const nodes = ['n1', 'n2', 'n3', ...(options.withN4 ? ['n4'] : [])].map((name) => ({ name }));
  ctx.setGrid({ name: 'g', regions: [{ subgrids: [{ nodes }] }] } as unknown as RunContext['grid'], {} as never);
  const plans: HostPlan[] = Object.entries(hosts).map(([host, changes]) => ({ host, address: host, playbooks: ['agent'], changes: Array.isArray(changes) ? changes : [], notes: [], handlers: [], ...(Array.isArray(changes) ? {} : { error: changes }) }));
  ctx.plan = { format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't.yaml', grid: 'g', sourceHash: '' }, playbooks: ['agent'], adHocPlaybooks: false, hosts: plans };
  return ctx;
}

describe('a new grid key reaches every agent of the grid in the same run, or the run is refused', () => {
  it('apply --limit n1 that replaces the key on n1 is refused before any change, naming the nodes it leaves out and what to do', async () => {
    const ctx = contextWith({ n1: [keyFile('update')] }, { limit: ['n1'] });
    expect(checkGridKeyWholeGrid.shouldRun?.(ctx) ?? true).toBe(true);
    const run = checkGridKeyWholeGrid.run(ctx);
    await expect(run).rejects.toThrow(PlanningError);
    await expect(run).rejects.toThrow('this run would replace the grid key on n1, but leaves out n2 and n3 (not selected by --limit)');
    await expect(run).rejects.toThrow('nothing was changed');
    await expect(run).rejects.toMatchObject({ hint: expect.stringContaining('a plain `gridops apply` of the whole grid, without --limit') });
  });

  it('a run of every node where one is unreachable is refused too, naming it as not reached', async () => {
    const ctx = contextWith({ n1: [keyFile('update')], n2: [keyFile('update'), plainFile], n3: unreachable });
    const run = checkGridKeyWholeGrid.run(ctx);
    await expect(run).rejects.toThrow('this run would replace the grid key on n1 and n2, but leaves out n3 (unreachable)');
    await expect(run).rejects.toMatchObject({ hint: expect.stringContaining('bring n3 back') });
  });

  it('--site, widened to the existing hosts, with an existing node not reached is refused the same way', async () => {
    const ctx = contextWith({ n1: [keyFile('update')], n2: [keyFile('update')], n3: unreachable, n4: [keyFile('create')] }, { site: 'r1/s2', withN4: true });
    await expect(checkGridKeyWholeGrid.run(ctx)).rejects.toThrow('leaves out n3 (unreachable)');
  });

  it('a plain apply of the whole grid, every node reached, replaces the key everywhere at once: allowed', async () => {
    await expect(checkGridKeyWholeGrid.run(contextWith({ n1: [keyFile('update')], n2: [keyFile('update')], n3: [] }))).resolves.toBeUndefined();
  });

  it('a partial run that does not change the key (a first key on a new node, other changes) is not concerned', async () => {
    await expect(checkGridKeyWholeGrid.run(contextWith({ n1: [plainFile] }, { limit: ['n1'] }))).resolves.toBeUndefined();
    await expect(checkGridKeyWholeGrid.run(contextWith({ n4: [keyFile('create')] }, { limit: ['n4'], withN4: true }))).resolves.toBeUndefined();
    await expect(checkGridKeyWholeGrid.run(contextWith({ n1: [plainFile], n2: [], n3: unreachable }))).resolves.toBeUndefined();
  });

  it('a key this run created while the grid runs agents with an earlier one (a lost state directory, a moved key file) is a change: refused for --limit of a new node, and the new key file removed', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gridops-key-')), 'grid.key');
    const bytes = Buffer.from(`${'ab'.repeat(32)}\n`);
    writeFileSync(file, bytes, { mode: 0o600 });
    const ctx = contextWith({ n4: [keyFile('create')] }, { limit: ['n4'], withN4: true });
    ctx.createdGridKey = { file, bytes };
    const run = checkGridKeyWholeGrid.run(ctx);
    await expect(run).rejects.toThrow(`this run created a new grid key ${file} while nodes of the grid run gridagent with an earlier one, but leaves out n1, n2 and n3 (not selected by --limit)`);
    await expect(run).rejects.toThrow('the new key file was removed again');
    expect(existsSync(file)).toBe(false);
  });

  it('--rolling keeps its own refusal, checked first, for the whole grid and for part of it; a rolling run of the whole grid passes this check', async () => {
    const ctx = contextWith({ n1: [keyFile('update')], n2: [keyFile('update')], n3: [keyFile('update')] }, { rolling: true });
    await expect(checkGridKeyWholeGrid.run(ctx)).resolves.toBeUndefined();
    await expect(checkRolling.run(ctx)).rejects.toThrow('--rolling would replace the grid key on every host');
    await expect(checkRolling.run(contextWith({ n1: [keyFile('update')] }, { limit: ['n1'], rolling: true }))).rejects.toThrow('--rolling would replace the grid key on n1: ');
    expect(APPLY_PHASES.indexOf(checkGridKeyWholeGrid)).toBeGreaterThan(APPLY_PHASES.findIndex((p) => p.title === 'check that only the new site changes'));
    expect(APPLY_PHASES.indexOf(checkGridKeyWholeGrid)).toBeGreaterThan(APPLY_PHASES.indexOf(checkRolling));
  });

  it('a partial rolling run that check-rolling lets through (a new key created, the run\'s nodes getting their first) is told to drop --rolling too', async () => {
    const ctx = contextWith({ n4: [keyFile('create')] }, { limit: ['n4'], rolling: true, withN4: true });
    ctx.createdGridKey = { file: join(tmpdir(), 'gridops-no-such-key'), bytes: Buffer.from('k') };
    await expect(checkRolling.run(ctx)).resolves.toBeUndefined();
    await expect(checkGridKeyWholeGrid.run(ctx)).rejects.toMatchObject({ hint: expect.stringContaining('without --limit, --site or --rolling') });
  });
});
