import { validateMessage } from '../../src/agent/core/validate.js';
import { regionPeer, type Summary } from './region-peer-fixture.js';

/** A summary from region `region`'s peer, naming `names` (other regions with their DNS names). */
const from = (region: string, names: string[] = []): Summary => ({
  type: 'peerSummary', tier: 'region', group: region, from: `${region}-rp`, to: 'rp', term: 1, superPeers: [], nodes: 0, reply: false, regionName: `${region}.grid.internal`, regionNames: names.map((r) => ({ region: r, name: `${r}.grid.internal` })),
});

describe("the region directory stays within what its receivers take, and forgets regions that are gone", () => {
  it('a region of 200 sub-grids sends the 128 largest super peers a receiver takes, and the whole node count', () => {
    const peers = Array.from({ length: 200 }, (_, i) => ({ name: `sp-${i}`, subgrid: `s${i}`, members: i + 1 }));
    const { directory, summaries } = regionPeer(peers, [{ region: 'far', name: 'far.grid.internal' }]);
    directory.step(from('far'), '10.0.0.9');
    const summary = summaries().at(-1)!;
    expect(validateMessage(JSON.parse(JSON.stringify(summary)))).not.toBeNull();
    expect(summary.superPeers).toHaveLength(128);
    expect(Math.min(...summary.superPeers.map((p) => p.members))).toBe(73);
    expect(summary.nodes).toBe((200 * 201) / 2);
  });

  it('a summary names at most 64 regions, only those heard from lately: one it only heard of, or a silent one of its join list, is not passed on', () => {
    const { directory, summaries } = regionPeer([], [{ region: 'silent', name: 'silent.grid.internal' }]);
    // 80 regions talk to us; one of them also names a region nobody here heard from.
    for (let i = 0; i < 80; i++) directory.step(from(`r${i}`, i === 0 ? ['rumoured'] : []), `10.0.1.${i}`);
    directory.tick();
    const names = summaries().at(-1)!.regionNames!;
    expect(validateMessage(JSON.parse(JSON.stringify(summaries().at(-1))))).not.toBeNull();
    expect(names).toHaveLength(64);
    expect(names.map((n) => n.region)).not.toContain('rumoured');
    expect(names.map((n) => n.region)).not.toContain('silent');
    expect(directory.knownRegions().map((r) => r.region)).toContain('rumoured');
  });

  it('a learned region not heard from for 360 push intervals is forgotten (no more probes); the join list is kept', () => {
    const { directory, sent } = regionPeer([], [{ region: 'configured', name: 'configured.grid.internal' }]);
    directory.step(from('gone'), '10.0.2.1');
    for (let t = 0; t < 359 * 10; t++) directory.tick();
    expect(directory.knownRegions().map((r) => r.region)).toEqual(['configured', 'gone']);
    for (let t = 0; t < 2 * 10; t++) directory.tick();
    expect(directory.knownRegions().map((r) => r.region)).toEqual(['configured']);
    sent.length = 0;
    for (let t = 0; t < 10; t++) directory.tick();
    const probed = sent.filter((s) => s.dest.kind === 'peerRegion').map((s) => (s.dest as { region: string }).region);
    expect(new Set(probed)).toEqual(new Set(['configured']));
  });
});
