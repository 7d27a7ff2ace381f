import { benchLabChoice } from '../../bench/lib/bench-lab.js';

/**
 * The provision bench brought down whatever lab was in GRIDOPS_BENCH_LAB on any failure, and one
 * with too few hosts without asking, and counted a topology.yaml that `lab down` kept as a running
 * lab (review lab 1, 3). It may touch only a lab it made: kind netns, and its marker naming the
 * lab.json's createdAt.
 */
describe('benchLabChoice: what the provision bench may do with the lab in its directory', () => {
  const dir = '/tmp/gridops-bench-lab';
  const lab = (kind: string, nodes: number) => JSON.stringify({ createdAt: '2026-12-06T00:00:00.000Z', plan: { shape: { kind, nodes, subgrids: 1, regions: 1 } } });
  const marker = '2026-12-06T00:00:00.000Z\n';

  it('an empty directory: a fresh lab', () => {
    expect(benchLabChoice({ dir, maxHosts: 500 })).toEqual({ action: 'fresh' });
  });

  it("its own lab: reused with enough hosts, replaced with too few", () => {
    expect(benchLabChoice({ dir, maxHosts: 500, labJson: lab('netns', 500), marker, topology: 'x' })).toEqual({ action: 'reuse', hosts: 500 });
    expect(benchLabChoice({ dir, maxHosts: 50, labJson: lab('netns', 500), marker })).toEqual({ action: 'reuse', hosts: 500 });
    expect(benchLabChoice({ dir, maxHosts: 500, labJson: lab('netns', 50), marker })).toEqual({ action: 'replace', hosts: 50 });
  });

  it.each([
    ['no marker', { labJson: lab('netns', 500) }, /the lab in \/tmp\/gridops-bench-lab was not made by the bench/],
    ['a marker of another lab', { labJson: lab('netns', 500), marker: '2025-01-01T00:00:00.000Z\n' }, /was not made by the bench/],
    ['a container lab', { labJson: lab('container', 500), marker }, /was not made by the bench \(a 500-host container lab\)/],
    ['an unreadable lab.json', { labJson: '{', marker }, /lab\.json in \/tmp\/gridops-bench-lab cannot be read/],
    ['a topology.yaml without lab.json (one lab down kept)', { topology: 'nodes: - name: node-01' }, /\/tmp\/gridops-bench-lab\/topology\.yaml is there but no lab\.json/],
  ])('refuses %s: the bench stops, bringing nothing down', (_what, seen, message) => {
    const choice = benchLabChoice({ dir, maxHosts: 50, ...seen });
    expect(choice.action).toBe('refuse');
    expect((choice as { reason: string }).reason).toMatch(message);
    expect((choice as { reason: string }).reason).toMatch(/GRIDOPS_BENCH_LAB/);
  });
});
