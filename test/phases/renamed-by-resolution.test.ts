import { renamedByResolution, resolvedOnce } from '../../src/phases/renamed-node.js';
import { nodesOf } from '../transport/connect-support.js';

/** A rename across a DNS name and an address (renamed-node.ts): resolved as the connection would, bounded in time, never a guess. */
describe('renamedByResolution', () => {
  const nodes = nodesOf('user: root', ['{ name: a, address: 10.0.0.1 }', '{ name: b, address: b.grid.test }', '{ name: c, address: 10.0.0.3, ssh: { port: 2222 } }', '{ name: old, address: 10.0.0.8 }']);
  const record = (address: string, port = 22) => ({ address, region: 'r1', subgrid: 's1', user: 'root', port });
  const none = new Set<string>();
  const nameOf = (r: Awaited<ReturnType<typeof renamedByResolution>>) => (r && 'node' in r ? r.node.name : r);

  it('matches a recorded name that resolves to a new node\'s address, and a recorded address a new node\'s name resolves to; the port must agree', async () => {
    const dns: Record<string, string[]> = { 'old.grid.test': ['10.0.0.1'], 'b.grid.test': ['10.0.0.2'], 'c-old.grid.test': ['10.0.0.3'] };
    const resolve = async (name: string) => dns[name] ?? [];
    expect(nameOf(await renamedByResolution(nodes, record('old.grid.test'), none, resolve))).toBe('a');
    expect(nameOf(await renamedByResolution(nodes, record('10.0.0.2'), none, resolve))).toBe('b');
    expect(nameOf(await renamedByResolution(nodes, record('c-old.grid.test'), none, resolve))).toBeUndefined();
    expect(nameOf(await renamedByResolution(nodes, record('c-old.grid.test', 2222), none, resolve))).toBe('c');
    // Two addresses: never resolved (renamedTo's rule decides those).
    expect(await renamedByResolution(nodes, record('10.0.0.9', 2222), none, async () => { throw new Error('asked'); })).toBeUndefined();
  });

  it('only nodes whose own last run did not apply are candidates: a node settled under its own name is not a rename of another', async () => {
    const resolve = async (name: string) => (name === 'b.grid.test' ? ['10.0.0.2'] : ['10.0.0.1']);
    expect(nameOf(await renamedByResolution(nodes, record('old.grid.test'), none, resolve))).toBe('a');
    expect(await renamedByResolution(nodes, record('old.grid.test'), new Set(['a']), resolve)).toBeUndefined();
  });

  it('a name that does not resolve, or two new nodes that match, cannot tell: unknown, never a guess', async () => {
    const resolve = async (name: string) => (name === 'b.grid.test' ? ['10.0.0.2'] : []);
    expect(await renamedByResolution(nodes, record('gone.grid.test'), none, resolve)).toEqual({ unknown: 'gone.grid.test did not resolve within 3 s' });
    const twice = nodesOf('user: root', ['{ name: x, address: x.grid.test }', '{ name: y, address: y.grid.test }']);
    expect(await renamedByResolution(twice, record('10.0.0.5'), none, async () => ['10.0.0.5'])).toEqual({ unknown: 'x and y both resolve to its address' });
  });

  it('a resolver that never answers: one lookup timeout for the run however many names and records, each name asked once', async () => {
    const many = nodesOf('user: root', Array.from({ length: 20 }, (_, i) => `{ name: n${i}, address: n${i}.grid.test }`));
    const asked: string[] = [];
    const resolve = resolvedOnce((name) => (asked.push(name), new Promise<string[]>(() => undefined)));
    const t0 = Date.now();
    expect(await renamedByResolution(many, record('10.0.0.5'), none, resolve)).toMatchObject({ unknown: expect.stringContaining('n0.grid.test') });
    const first = Date.now() - t0;
    expect(await renamedByResolution(many, record('10.0.0.6'), none, resolve)).toMatchObject({ unknown: expect.stringContaining('n0.grid.test') });
    expect(first).toBeGreaterThanOrEqual(2900);
    // The second record waits for nothing: the names' answers (none) are settled.
    expect(Date.now() - t0 - first).toBeLessThan(500);
    expect(asked).toHaveLength(20);
  }, 15_000);
});
