import { MAX_TRACKED_PEERS } from '../../src/agent/core/bounded-map.js';
import { Registry } from '../../src/agent/core/registry.js';
import { SUBGRID_TIMERS } from '../../src/agent/core/timers.js';

/**
 * A join signed with the grid key may name anyone: a node holding the key (compromised, or buggy)
 * could otherwise grow a super peer's registry, and every sync that copies it, one name per packet.
 */
const joinOf = (name: string, born = false) => ({ name, incarnation: 1, attrsVersion: 1, eligible: true, score: 1, born });

describe('the registry a join may grow', () => {
  test('past its capacity a new name is refused, `born` or not (the joiner sets it); a member in it rejoins, and the leader\'s own entry is never refused', () => {
    const registry = new Registry('subgrid', 4);
    for (const name of ['a', 'b', 'c', 'd']) expect(registry.join(joinOf(name), 0)).toMatchObject({ change: 'joined' });
    expect(registry.join(joinOf('made-up-1'), 1)).toBeNull();
    expect(registry.join(joinOf('made-up-2', true), 1)).toBeNull();
    expect(registry.size).toBe(4);
    expect(registry.join(joinOf('a'), 2)).toMatchObject({ name: 'a', change: 'rejoined' });
    expect(registry.join(joinOf('leader', true), 3, { own: true })).toMatchObject({ change: 'joined' });
    expect(registry.size).toBe(5);
  });

  test('a merge takes no new name past its capacity either; known members still take a newer incarnation', () => {
    const registry = new Registry('subgrid', 3);
    for (const name of ['a', 'b']) registry.join(joinOf(name), 0);
    const entry = (name: string, incarnation = 1) => ({ name, incarnation, attrsVersion: 1, eligible: true, score: 1, liveness: 'alive' as const });
    expect(registry.mergeFrom([entry('c'), ...Array.from({ length: 1_000 }, (_, i) => entry(`made-up-${i}`)), entry('a', 2)], 1)).toBe(2);
    expect(registry.size).toBe(3);
    expect(registry.get('a')?.incarnation).toBe(2);
    expect(registry.get('made-up-0')).toBeUndefined();
  });

  test('a name refused while it is full gets in once the sweep has removed members that stopped speaking', () => {
    const registry = new Registry('subgrid', 3);
    for (const name of ['leader', 'ghost-1', 'ghost-2']) registry.join(joinOf(name), 0);
    expect(registry.join(joinOf('honest'), 0)).toBeNull();
    // The sweep never ends the leader itself; the made-up names never heartbeat, so it ends them (times in ticks).
    let now = 0;
    for (; now < 1_000 && registry.size === 3; now++) registry.sweep(now, SUBGRID_TIMERS, 'leader');
    expect(registry.size).toBeLessThan(3);
    expect(registry.join(joinOf('honest'), now)).toMatchObject({ change: 'joined' });
  });

  test('by default the capacity is the per-sender bound', () => {
    const registry = new Registry('subgrid');
    for (let i = 0; i < MAX_TRACKED_PEERS; i++) registry.join(joinOf(`n${i}`), 0);
    expect(registry.join(joinOf('one-more'), 0)).toBeNull();
    expect(registry.size).toBe(MAX_TRACKED_PEERS);
  });
});
