import { Registry } from '../../src/agent/core/registry.js';
import { SUBGRID_TIMERS } from '../../src/agent/core/timers.js';
import type { Liveness, RegistryEntryWire } from '../../src/agent/core/types.js';
import { leaderOf, smallCluster } from './sim-helpers.js';

const entry = (name: string, liveness: Liveness, incarnation = 1): RegistryEntryWire => ({ name, incarnation, attrsVersion: 1, eligible: true, score: 10, liveness });

/** A mirror's copy of the leader's registry (Registry.replaceFrom) and what a successor does with it. */
describe('registry copy on a mirror', () => {
  test('keeps the liveness the leader sends: suspect stays suspect, dead stays listed as dead', () => {
    const copy = new Registry('subgrid');
    copy.replaceFrom([entry('a', 'alive'), entry('b', 'suspect'), entry('c', 'dead')], 50);
    expect(copy.list().map((member) => [member.name, member.liveness])).toEqual([
      ['a', 'alive'],
      ['b', 'suspect'],
      ['c', 'dead'],
    ]);
    expect(copy.get('b')).toMatchObject({ suspectSince: 50, deadSince: null, lastHeard: 50 });
    expect(copy.get('c')).toMatchObject({ suspectSince: null, deadSince: 50 });
    expect(copy.liveCount()).toBe(2);
  });

  test('a later copy replaces the content, and a death it repeats keeps the tick it was first copied at', () => {
    const copy = new Registry('subgrid');
    copy.replaceFrom([entry('a', 'alive'), entry('b', 'suspect'), entry('c', 'dead')], 50);
    copy.replaceFrom([entry('b', 'alive'), entry('c', 'dead'), entry('d', 'alive')], 60);
    expect(copy.list().map((member) => [member.name, member.liveness])).toEqual([
      ['b', 'alive'],
      ['c', 'dead'],
      ['d', 'alive'],
    ]);
    expect(copy.get('b')).toMatchObject({ suspectSince: null });
    expect(copy.get('c')).toMatchObject({ deadSince: 50 });
    // A new incarnation that died again is a new death.
    copy.replaceFrom([entry('c', 'dead', 2)], 70);
    expect(copy.get('c')).toMatchObject({ incarnation: 2, deadSince: 70 });
  });

  test('a member alive in consecutive copies keeps its stabilization clock (a successor keeps counting); a break or a new incarnation starts it again', () => {
    const copy = new Registry('subgrid');
    const unstable = (name: string, liveness: Liveness, incarnation = 1): RegistryEntryWire => ({ ...entry(name, liveness, incarnation), stable: false });
    copy.replaceFrom([unstable('a', 'alive'), unstable('b', 'alive'), unstable('c', 'alive')], 50);
    copy.replaceFrom([unstable('a', 'alive'), unstable('b', 'suspect'), unstable('c', 'alive', 2)], 60);
    copy.replaceFrom([unstable('a', 'alive'), unstable('b', 'alive'), unstable('c', 'alive', 2)], 70);
    expect(copy.list().map((member) => [member.name, member.aliveSince])).toEqual([
      ['a', 50],
      ['b', 70],
      ['c', 60],
    ]);
    // As the leader's own registry would: stable once alive stabilizationTime without a break, counted from the first copy.
    expect(copy.stabilize(50 + SUBGRID_TIMERS.stabilizationTime, SUBGRID_TIMERS.stabilizationTime)).toBe(true);
    expect(copy.list().map((member) => [member.name, member.stable])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
    ]);
  });

  test('a successor restarts the clocks of the living, removes a copied dead entry after removeAfter, and takes it back when it joins', () => {
    const copy = new Registry('subgrid');
    copy.replaceFrom([entry('self', 'alive'), entry('b', 'suspect'), entry('c', 'dead')], 50);
    copy.restartClocks(60);
    expect(copy.get('b')).toMatchObject({ liveness: 'alive', suspectSince: null });
    // Heard now, within a tick, and after the one the copy showed alive (subgrid-holders.ts ranks by it).
    expect(copy.get('b')!.lastHeard).toBeGreaterThan(59);
    expect(copy.get('b')!.lastHeard).toBeLessThan(copy.get('self')!.lastHeard);
    expect(copy.get('c')).toMatchObject({ liveness: 'dead' });
    // A dead member's heartbeat is not taken: it is told to join, and its join brings it back.
    expect(copy.heartbeat('c', { incarnation: 1, attrsVersion: 1, load: 0, score: 10 }, undefined, 61).known).toBe(false);
    const revived = new Registry('subgrid');
    revived.replaceFrom([entry('c', 'dead')], 50);
    revived.join({ name: 'c', incarnation: 1, attrsVersion: 1, eligible: true, score: 10 }, 61);
    expect(revived.get('c')).toMatchObject({ liveness: 'alive', deadSince: null });
    // Not heard again: removed removeAfter after the copy showed it dead, as the leader removes its own.
    expect(copy.sweep(50 + SUBGRID_TIMERS.removeAfter - 1, SUBGRID_TIMERS, 'self').filter((event) => event.type === 'member' && event.name === 'c')).toEqual([]);
    expect(copy.sweep(50 + SUBGRID_TIMERS.removeAfter, SUBGRID_TIMERS, 'self')).toContainEqual({ type: 'member', tier: 'subgrid', name: 'c', change: 'removed' });
    expect(copy.get('c')).toBeUndefined();
  });

  test('merging a deposed leader’s registry (a healed partition) still skips the dead and starts the others alive', () => {
    const registry = new Registry('subgrid');
    expect(registry.mergeFrom([entry('a', 'suspect'), entry('b', 'dead')], 10)).toBe(1);
    expect(registry.list().map((member) => [member.name, member.liveness])).toEqual([['a', 'alive']]);
  });
});

describe('registry copy on a mirror (simulated network)', () => {
  test('every mirror shows a member as the super peer hears it: suspect, alive again, then dead', () => {
    // Seven nodes: the super peer, 4 mirrors and 2 plain members.
    const { network, names, invariant } = smallCluster(7);
    network.runUntil(8_000);
    const leader = leaderOf(network, names)!;
    const mirrors = names.filter((name) => network.core(name)!.status().role === 'mirror');
    expect(mirrors).toHaveLength(4);
    const member = names.find((name) => name !== leader && !mirrors.includes(name))!;
    const livenessAt = (node: string): string | undefined => network.core(node)!.status().members.find((candidate) => candidate.name === member)?.liveness;
    // Step until the super peer's registry changes, then allow two syncs: not the 10 s refresh.
    const untilLeaderHears = (liveness: string, withinMs: number): void => {
      for (let waited = 0; waited < withinMs && livenessAt(leader) !== liveness; waited += network.tickMs) network.runFor(network.tickMs);
      expect(livenessAt(leader)).toBe(liveness);
    };
    const syncAfter = (): void => network.runFor(2 * SUBGRID_TIMERS.syncInterval * network.tickMs);

    network.cut(leader, member);
    untilLeaderHears('suspect', 4_000);
    syncAfter();
    for (const mirror of mirrors) expect([mirror, livenessAt(mirror)]).toEqual([mirror, 'suspect']);

    network.heal();
    untilLeaderHears('alive', 2_000);
    syncAfter();
    for (const mirror of mirrors) expect([mirror, livenessAt(mirror)]).toEqual([mirror, 'alive']);

    network.crash(member);
    network.runFor(9_000);
    expect(livenessAt(leader)).toBe('dead');
    for (const mirror of mirrors) expect([mirror, livenessAt(mirror)]).toEqual([mirror, 'dead']);
    expect(invariant.violations).toEqual([]);
  });

  test('a mirror whose copy shows itself and the others dead takes over alive, and the others are heard again', () => {
    const { network, names, invariant } = smallCluster(5);
    network.runUntil(8_000);
    const leader = leaderOf(network, names)!;
    const others = names.filter((name) => name !== leader);
    // The last copy the mirrors got (as when their own packets to the super peer were lost): every other node dead.
    const wire = network.core(leader)!.subgrid.registry.toWire().map((member) => (member.name === leader ? member : { ...member, liveness: 'dead' as const }));
    network.crash(leader);
    // At the tick the mirrors are at (every node started at 0 and ticks every tickMs), as a sync would deliver it.
    const tick = Math.floor(network.now / network.tickMs);
    for (const name of others) network.core(name)!.subgrid.registry.replaceFrom(wire, tick);
    network.runFor(3_000);
    const successor = leaderOf(network, others)!;
    expect(successor).toBeDefined();
    const status = network.core(successor)!.status();
    expect(status.members.find((candidate) => candidate.name === successor)?.liveness).toBe('alive');
    for (const name of others) expect([name, status.members.find((candidate) => candidate.name === name)?.liveness]).toEqual([name, 'alive']);
    for (const name of others) expect(network.core(name)!.status().superPeer).toBe(successor);
    expect(invariant.violations).toEqual([]);
  });
});

describe('a promoted mirror gets the registry with its first view', () => {
  test('the replacement of a crashed mirror holds the super peer’s registry within two syncs, and can lead the whole sub-grid', () => {
    // Nine nodes: the super peer, 4 mirrors and 4 plain members, one of which replaces a crashed mirror.
    const { network, names, invariant } = smallCluster(9);
    network.runUntil(15_000);
    const leader = leaderOf(network, names)!;
    const mirrorsNow = (): string[] => names.filter((name) => network.isUp(name) && network.core(name)!.status().role === 'mirror');
    const mirrors = mirrorsNow();
    expect(mirrors).toHaveLength(4);
    const crashed = mirrors[0]!;
    network.crash(crashed);
    const voters = (): string[] => network.core(leader)!.status().mirrors;
    let promoted: string | undefined;
    for (let waited = 0; waited < 15_000 && promoted === undefined; waited += network.tickMs) {
      network.runFor(network.tickMs);
      promoted = voters().find((name) => name !== leader && !mirrors.includes(name));
    }
    expect(promoted).toBeDefined();
    // Two syncs after the view that adds it: not the 10 s registry refresh.
    network.runFor(2 * SUBGRID_TIMERS.syncInterval * network.tickMs);
    const sizeOf = (name: string): number => network.core(name)!.subgrid.registry.list().length;
    expect([promoted, sizeOf(promoted!)]).toEqual([promoted, sizeOf(leader)]);
    // The super peer dies before the refresh: whoever takes over knows every member.
    network.crash(leader);
    network.runFor(4_000);
    const successor = leaderOf(network, names)!;
    expect(successor).toBeDefined();
    const live = names.filter((name) => network.isUp(name));
    const known = network.core(successor)!.status().members.filter((member) => member.liveness === 'alive').map((member) => member.name);
    expect(known.sort()).toEqual(live.sort());
    expect(invariant.violations).toEqual([]);
  });
});
