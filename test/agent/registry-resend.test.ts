import type { Message, Packet } from '../../src/agent/core/types.js';
import type { SimNetwork } from '../../src/agent/sim/network.js';
import { REGION_TIMERS, SUBGRID_TIMERS } from '../../src/agent/core/timers.js';
import { MAX_UNPROVEN_COPIES, RegistryCopies } from '../../src/agent/core/group/registry-copies.js';
import { leaderOf, settledRegion, smallCluster } from './sim-helpers.js';

/** A sync that carries the registry: the runtime sends it over TCP (bulk), the plain view sync over UDP. */
const carriesRegistry = (message: Message, tier: Message['tier']): boolean => message.tier === tier && message.type === 'sync' && message.registry !== undefined;

/** The ticks (of `network.now`) at which `from` sent `to` a registry copy of `tier`. */
function registrySends(network: SimNetwork, from: () => string, to: () => string | undefined, tier: Message['tier']): number[] {
  const at: number[] = [];
  network.onSend((sender, out, time) => {
    if (sender === from() && out.dest.kind === 'node' && out.dest.name === to() && carriesRegistry(out.message, tier)) at.push(time);
  });
  return at;
}

describe('a new voter without a working TCP path (simulated network: every registry-bearing sync to it is lost)', () => {
  test('sub-grid tier: the promoted mirror still acknowledges views over UDP, and the registry copies to it back off', () => {
    const { network, names, invariant } = smallCluster(9);
    network.runUntil(15_000);
    const leader = leaderOf(network, names)!;
    const mirrorsNow = (): string[] => network.core(leader)!.status().mirrors.filter((name) => name !== leader);
    const mirrors = mirrorsNow();
    expect(mirrors).toHaveLength(4);
    const plain = names.filter((name) => name !== leader && !mirrors.includes(name));
    // TCP to the plain members is broken (a UDP-only firewall): whichever of them is promoted never gets a registry copy.
    network.loseWhere((from, to, message) => from === leader && plain.includes(to) && carriesRegistry(message, 'subgrid'));
    let promoted: string | undefined;
    const sends = registrySends(network, () => leader, () => promoted, 'subgrid');
    network.crash(mirrors[0]!);
    for (let waited = 0; waited < 15_000 && promoted === undefined; waited += network.tickMs) {
      network.runFor(network.tickMs);
      promoted = mirrorsNow().find((name) => !mirrors.includes(name));
    }
    expect(promoted).toBeDefined();
    const roleChanges: string[] = [];
    network.onEvent((name, event) => {
      if (name === promoted && event.type === 'roleChanged' && event.tier === 'subgrid') roleChanges.push(event.role);
    });
    const from = network.now;
    network.runFor(8_000);
    // It kept following and acknowledging: still a mirror of the same super peer, which counts its acks.
    expect(network.core(promoted!)!.status().role).toBe('mirror');
    expect(roleChanges).toEqual([]);
    expect(network.core(leader)!.subgrid.isLeader()).toBe(true);
    expect(mirrorsNow()).toContain(promoted);
    // 0.2, 0.4, 0.8, 1.6, 3.2 s... apart, not every 0.2 s sync (40 in 8 s).
    const inWindow = sends.filter((time) => time >= from);
    expect(inWindow.length).toBeGreaterThanOrEqual(3);
    expect(inWindow.length).toBeLessThanOrEqual(8);
    const gaps = inWindow.slice(1).map((time, index) => time - inWindow[index]!);
    expect(gaps[gaps.length - 1]!).toBeGreaterThan(4 * SUBGRID_TIMERS.syncInterval * network.tickMs);
    expect(invariant.violations).toEqual([]);
  });
});

describe('region tier: the new super peer of a voter slot gets the region registry', () => {
  test('is sent copies until an acknowledgement proves one arrived (not a view acknowledgement alone), then holds the region peer’s registry', () => {
    const { network, invariant, regionPeer, members, superPeer: crashed } = settledRegion(11);
    // Every region registry copy to the members of that sub-grid is lost for a while.
    network.loseWhere((from, to, message) => from === regionPeer && members.includes(to) && carriesRegistry(message, 'region'));
    let successor: string | undefined;
    const sends = registrySends(network, () => regionPeer, () => successor, 'region');
    network.crash(crashed);
    for (let waited = 0; waited < 10_000 && successor === undefined; waited += network.tickMs) {
      network.runFor(network.tickMs);
      successor = members.find((name) => network.isUp(name) && network.core(name)!.subgrid.isLeader() && network.core(name)!.region.leaderName === regionPeer);
    }
    expect(successor).toBeDefined();
    expect(network.core(regionPeer)!.region.isLeader()).toBe(true);
    const from = network.now;
    network.runFor(5_000);
    // Resent with backoff (0.3, 0.6, 1.2, 2.4 s) although its view acknowledgements kept coming.
    expect(sends.filter((time) => time >= from).length).toBeGreaterThanOrEqual(3);
    // The loss ends: well before the 20 s refresh the successor holds the region peer's registry.
    network.loseWhere(null);
    network.runFor(6 * REGION_TIMERS.syncInterval * network.tickMs + 5_000);
    const namesIn = (name: string): string[] => network.core(name)!.region.registry.list().map((entry) => `${entry.name}:${entry.liveness}`).sort();
    expect(namesIn(successor!)).toEqual(namesIn(regionPeer));
    expect(invariant.violations).toEqual([]);
  });
});

describe('a registry copy that arrives after a newer one (separate TCP connections reorder)', () => {
  test('is ignored: the mirror keeps the newer copy', () => {
    const { network, names, invariant } = smallCluster(7);
    network.runUntil(8_000);
    const leader = leaderOf(network, names)!;
    const mirror = network.core(leader)!.status().mirrors.find((name) => name !== leader)!;
    const member = names.find((name) => name !== leader && network.core(name)!.status().role === 'member')!;
    // Holds back the next copy to the mirror (the 10 s refresh), as a slow connection would.
    let held: Packet | undefined;
    network.onSend((from, out) => {
      if (held === undefined && from === leader && out.dest.kind === 'node' && out.dest.name === mirror && carriesRegistry(out.message, 'subgrid')) held = { header: out.header, message: out.message };
    });
    network.loseWhere((from, to, message) => from === leader && to === mirror && carriesRegistry(message, 'subgrid') && held?.message === message);
    for (let waited = 0; waited < 12_000 && held === undefined; waited += network.tickMs) network.runFor(network.tickMs);
    expect(held).toBeDefined();
    network.loseWhere(null);
    const livenessAt = (node: string): string | undefined => network.core(node)!.status().members.find((candidate) => candidate.name === member)?.liveness;
    expect(livenessAt(mirror)).toBe('alive');
    // A newer copy: the member is suspected, and the mirror's copy says so.
    network.crash(member);
    for (let waited = 0; waited < 6_000 && livenessAt(mirror) !== 'suspect'; waited += network.tickMs) network.runFor(network.tickMs);
    expect(livenessAt(mirror)).toBe('suspect');
    // The held-back, older copy arrives now.
    network.inject(mirror, leader, held!);
    network.runFor(network.tickMs);
    expect(livenessAt(mirror)).toBe('suspect');
    expect(invariant.violations).toEqual([]);
  });
});

describe('the leader’s schedule of registry copies to voters that have none (RegistryCopies)', () => {
  const copies = (): RegistryCopies => new RegistryCopies(() => 2, () => 100);
  const dueTicks = (tracker: RegistryCopies, voterKey: string, name: string, until: number): number[] => {
    const due: number[] = [];
    for (let now = 0; now <= until; now++) {
      if (tracker.syncing(voterKey, name, now)) {
        due.push(now);
        tracker.sent(voterKey, name, now);
      }
    }
    return due;
  };

  test('copies back off from one sync interval, doubling up to the refresh interval', () => {
    const tracker = copies();
    tracker.await('b', 'b', 0);
    expect(dueTicks(tracker, 'b', 'b', 400)).toEqual([0, 2, 6, 14, 30, 62, 126, 226, 326]);
  });

  test('only an echoed copy number sent after the voter was added clears it; an older agent’s ack after a bounded number of copies', () => {
    const tracker = copies();
    tracker.nextNumber();
    tracker.await('b', 'b', 0);
    tracker.acknowledged('b', 'b', 1);
    expect(tracker.awaits('b', 'b')).toBe(true);
    tracker.acknowledged('b', 'b', 2);
    expect(tracker.awaits('b', 'b')).toBe(false);

    tracker.await('c', 'c', 0);
    for (let sent = 0; sent < MAX_UNPROVEN_COPIES; sent++) {
      tracker.acknowledged('c', 'c', undefined);
      expect(tracker.awaits('c', 'c')).toBe(true);
      tracker.sent('c', 'c', sent);
    }
    tracker.acknowledged('c', 'c', undefined);
    expect(tracker.awaits('c', 'c')).toBe(false);
  });

  test('region tier: the new super peer of a slot awaits a copy, the one it replaced no longer does', () => {
    const tracker = copies();
    expect(tracker.syncing('rennes-a', 'ra-01', 0)).toBe(false);
    expect(tracker.syncing('rennes-a', 'ra-02', 1)).toBe(true);
    expect(tracker.awaits('rennes-a', 'ra-02')).toBe(true);
    expect(tracker.awaits('rennes-a', 'ra-01')).toBe(false);
    tracker.keepOnly(new Set(['rennes-b']));
    expect(tracker.awaits('rennes-a', 'ra-02')).toBe(false);
  });
});
