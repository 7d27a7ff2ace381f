import { encodedSize } from '../../src/agent/core/wire.js';
import { regionPeer, type Summary } from './region-peer-fixture.js';

/**
 * A probe needs no echo (guard.ts) and its source address is not authenticated: answered with the
 * full summary, a spoofed probe of 242 B drew 12 KiB (128 super peers) to whatever address it named.
 */

const superPeers = Array.from({ length: 128 }, (_, i) => ({ name: `node-us-east-${String(i).padStart(3, '0')}`, subgrid: `subgrid-${String(i).padStart(3, '0')}`, members: 40 }));
const probe: Summary = { type: 'peerSummary', tier: 'region', group: 'eu-west', from: 'rp-eu', term: 3, addr: '10.1.0.1:7946', superPeers: [], nodes: 0, reply: false, probe: true, regionName: 'eu-west.grid.example.com' };
const summaryOf = (prober: string): Summary => ({ type: 'peerSummary', tier: 'region', group: 'eu-west', from: prober, to: 'rp', term: 3, addr: '10.1.0.1:7946', superPeers: [{ name: 'eu-1', subgrid: 's1', members: 4 }], nodes: 4, reply: true, regionName: 'eu-west.grid.example.com' });

describe('the answer to a probe', () => {
  test('an unvalidated probe from an unknown address draws a reply no larger than about the probe itself', () => {
    const { directory, sent } = regionPeer(superPeers, ['eu-west']);
    directory.step(probe, 'victim.example:9999', false);
    expect(sent).toHaveLength(1);
    const answer = sent[0]!.message as Summary;
    expect(answer.superPeers).toEqual([]);
    expect(answer.regionNames).toBeUndefined();
    expect(answer.knows).toBeUndefined();
    expect(encodedSize(answer)).toBeLessThan(2 * encodedSize(probe));
  });

  test("the prober's summary in reply (it echoes our nonce) is answered with ours in full, once", () => {
    const { directory, sent } = regionPeer(superPeers, ['eu-west']);
    directory.step(probe, '10.1.0.1:7946', false);
    directory.step(summaryOf('rp-eu'), '10.1.0.1:7946', true);
    const full = sent.slice(1).map((s) => s.message as Summary);
    expect(full).toHaveLength(1);
    expect(full[0]).toMatchObject({ to: 'rp-eu', reply: true });
    expect(full[0]!.superPeers).toHaveLength(128);
    // Its next reply summary is not answered again (no ping-pong).
    directory.step({ ...summaryOf('rp-eu'), nodes: 5 }, '10.1.0.1:7946', true);
    expect(sent).toHaveLength(2);
  });

  test('a probe that echoes our nonce, or comes from where that region peer was last heard, gets the full summary at once', () => {
    const validated = regionPeer(superPeers, ['eu-west']);
    validated.directory.step(probe, 'anywhere:1', true);
    expect((validated.sent[0]!.message as Summary).superPeers).toHaveLength(128);

    const known = regionPeer(superPeers, ['eu-west']);
    known.directory.step({ ...summaryOf('rp-eu'), reply: false }, '10.1.0.1:7946', true);
    known.sent.length = 0;
    known.directory.step(probe, '10.1.0.1:7946', false);
    expect((known.sent[0]!.message as Summary).superPeers).toHaveLength(128);
    known.directory.step(probe, '10.9.9.9:7946', false);
    expect((known.sent[1]!.message as Summary).superPeers).toEqual([]);
  });
});
