/**
 * The key the HTTP /status cache is rebuilt on (http-server.ts): it must change the moment a
 * node's roles or leaders change, between ticks too, so a handover is never shown a tick late.
 */
import { leaderOf, smallCluster } from './sim-helpers.js';

test('statusKey follows every change of role, term or super peer the status shows, and nothing else', () => {
  const { network, names } = smallCluster(5, { seed: 3, cores: [16, 8, 8, 8, 8] });
  network.runUntil(8_000);
  const old = leaderOf(network, names)!;
  const member = names.find((n) => n !== old)!;
  const key = (name: string) => network.core(name)!.statusKey();
  const shown = (name: string) => {
    const s = network.core(name)!.status();
    return `${s.role}|${s.term}|${s.superPeer ?? ''}|${s.regionRole}|${s.regionTerm}|${s.regionPeer ?? ''}`;
  };
  const before = key(member);
  expect(before).toBe(shown(member));
  network.runFor(500);
  // Heartbeats alone move nothing the key holds.
  expect(key(member)).toBe(before);
  network.core(old)!.subgrid.handover('rebalance');
  network.runFor(2_000);
  expect(leaderOf(network, names)).not.toBe(old);
  expect(key(member)).not.toBe(before);
  expect(key(member)).toBe(shown(member));
});
