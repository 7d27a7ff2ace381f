import { PlanningError } from '../../src/errors/index.js';
import { checkRolling } from '../../src/phases/check-rolling.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { Change } from '../../src/plan/change.js';
import { PLAN_FORMAT, type HostPlan } from '../../src/plan/plan.js';

const content = { name: 'content', before: '(sensitive)', after: '(sensitive)' };
const keyFile = (action: 'create' | 'update', fields = [content]): Change => ({ kind: 'file', id: 'file /etc/gridagent/grid.key', action, summary: `${action} /etc/gridagent/grid.key`, path: '/etc/gridagent/grid.key', fields, contentSha256: 'hmac-sha256:x', sensitive: true, secret: 'grid-key' }) as unknown as Change;
const plainFile: Change = { kind: 'file', id: 'file /etc/motd', action: 'update', summary: 'update /etc/motd', path: '/etc/motd', fields: [content], contentSha256: 'abc', sensitive: false } as unknown as Change;
/** A file a playbook marks sensitive (a TLS key): rotated in rolling batches like any other file. */
const tlsKey: Change = { kind: 'file', id: 'file /etc/app/tls.key', action: 'update', summary: 'update /etc/app/tls.key', path: '/etc/app/tls.key', fields: [content], contentSha256: 'hmac-sha256:y', sensitive: true } as unknown as Change;

function contextWith(hosts: Record<string, Change[]>, rolling: boolean): RunContext {
  const ctx = new RunContext({ topologyFile: 't.yaml', concurrency: 10, acceptNewHostKeys: false, progress: () => undefined, failFast: false, rolling });
  const plans: HostPlan[] = Object.entries(hosts).map(([host, changes]) => ({ host, address: host, playbooks: ['agent'], changes, notes: [], handlers: [] }));
  ctx.plan = { format: PLAN_FORMAT, createdAt: '', gridopsVersion: '', topology: { file: 't.yaml', grid: 'g', sourceHash: '' }, playbooks: ['agent'], adHocPlaybooks: false, hosts: plans };
  return ctx;
}

describe('apply --rolling and the grid key', () => {
  it('a rolling apply that replaces the grid key is refused before any change, naming the hosts and what to do', async () => {
    const ctx = contextWith({ n1: [keyFile('update')], n2: [keyFile('update'), plainFile], n3: [plainFile] }, true);
    expect(checkRolling.shouldRun!(ctx)).toBe(true);
    const run = checkRolling.run(ctx);
    await expect(run).rejects.toThrow(PlanningError);
    await expect(run).rejects.toThrow('--rolling would replace the grid key on n1, n2: agents restarted with the new key cannot hear the ones still on the old');
    await expect(run).rejects.toMatchObject({ hint: expect.stringContaining('apply without --rolling') });
  });

  it('a run of some of the grid (--limit) names its hosts, not "every host": only the whole grid is every host', async () => {
    const ctx = contextWith({ n1: [keyFile('update')], n2: [keyFile('update')] }, true);
    ctx.setGrid({ regions: [{ subgrids: [{ nodes: [{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }] }] }] } as unknown as RunContext['grid'], {} as never);
    await expect(checkRolling.run(ctx)).rejects.toThrow('--rolling would replace the grid key on n1, n2: ');
    ctx.setGrid({ regions: [{ subgrids: [{ nodes: [{ name: 'n1' }, { name: 'n2' }] }] }] } as unknown as RunContext['grid'], {} as never);
    await expect(checkRolling.run(ctx)).rejects.toThrow('--rolling would replace the grid key on every host: ');
  });

  it('a key placed on new nodes (created), its mode repaired, another sensitive file or other changes roll as before; a plain apply is not checked', async () => {
    await expect(checkRolling.run(contextWith({ n1: [keyFile('create')], n2: [plainFile], n3: [tlsKey], n4: [keyFile('update', [{ name: 'mode', before: '0644', after: '0600' }])] }, true))).resolves.toBeUndefined();
    expect(checkRolling.shouldRun!(contextWith({ n1: [keyFile('update')] }, false))).toBe(false);
  });
});
