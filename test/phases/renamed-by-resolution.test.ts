import { renamedByResolution, resolvedOnce } from '../../src/phases/renamed-node.js';
import { nodesOf } from '../transport/connect-support.js';

/** A rename across a DNS name and an address (renamed-node.ts): resolved as the connection would, bounded in time. */
describe('renamedByResolution', () => {
  const nodes = nodesOf('user: root', ['{ name: a, address: 10.0.0.1 }', '{ name: b, address: b.grid.test }', '{ name: c, address: 10.0.0.3, ssh: { port: 2222 } }']);
  const record = (address: string, port = 22) => ({ address, region: 'r1', subgrid: 's1', user: 'root', port });

  it('matches a recorded name that resolves to a node\'s address, and a recorded address a node\'s name resolves to; the port must agree', async () => {
    const dns: Record<string, string[]> = { 'old.grid.test': ['10.0.0.1'], 'b.grid.test': ['10.0.0.2'], 'c-old.grid.test': ['10.0.0.3'] };
    const resolve = async (name: string) => dns[name] ?? [];
    expect((await renamedByResolution(nodes, record('old.grid.test'), resolve))?.name).toBe('a');
    expect((await renamedByResolution(nodes, record('10.0.0.2'), resolve))?.name).toBe('b');
    expect(await renamedByResolution(nodes, record('c-old.grid.test'), resolve)).toBeUndefined();
    expect((await renamedByResolution(nodes, record('c-old.grid.test', 2222), resolve))?.name).toBe('c');
    // Two addresses: never resolved (renamedTo's rule decides those).
    expect(await renamedByResolution(nodes, record('10.0.0.9', 2222), async () => { throw new Error('asked'); })).toBeUndefined();
  });

  it('a resolver that never answers holds the run one lookup timeout, not one per name; each name is asked once', async () => {
    const many = nodesOf('user: root', Array.from({ length: 20 }, (_, i) => `{ name: n${i}, address: n${i}.grid.test }`));
    const asked: string[] = [];
    const resolve = resolvedOnce((name) => (asked.push(name), new Promise<string[]>(() => undefined)));
    const t0 = Date.now();
    expect(await renamedByResolution(many, record('10.0.0.5'), resolve)).toBeUndefined();
    expect(await renamedByResolution(many, record('10.0.0.6'), resolve)).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(asked).toHaveLength(20);
  }, 15_000);
});
