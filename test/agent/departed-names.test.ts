import { DepartedNames, MAX_DEPARTED } from '../../src/agent/core/group/departed.js';
import { Registry } from '../../src/agent/core/registry.js';
import { SUBGRID_TIMERS } from '../../src/agent/core/timers.js';
import type { Tier } from '../../src/agent/core/types.js';

/** The bounded memory of names that left for good (group/departed.ts), on a clock the test moves. */
function departedNames(keepFor = 100, carryFor = 10, tier: Tier = 'subgrid', tickMs = 100) {
  const clock = { now: 1_000 };
  const registry = new Registry(tier);
  return { clock, registry, departed: new DepartedNames(() => clock.now, keepFor, carryFor, registry, tickMs) };
}

/** A node signs in (a join), to a registry: `subgrid` on the region tier. */
function signIn(registry: Registry, name: string, incarnation: number, subgrid?: string): void {
  registry.join({ name, incarnation, attrsVersion: 1, eligible: true, score: 1, ...(subgrid !== undefined ? { summary: { subgrid, members: 1 } } : {}) }, 0);
}

describe('the names that left for good', () => {
  test('a name is carried in syncs for carryFor ticks with its age in milliseconds and the incarnation that left, and remembered for keepFor ticks', () => {
    const { clock, departed } = departedNames();
    departed.addMember('n1', 7);
    clock.now += 4;
    expect(departed.toCarry()).toEqual([{ name: 'n1', agoMs: 400, incarnation: 7 }]);
    clock.now += 6;
    expect({ carried: departed.toCarry(), remembered: departed.has('n1') }).toEqual({ carried: [], remembered: true });
    clock.now += 89;
    expect(departed.names()).toEqual(['n1']);
    clock.now += 1;
    expect({ remembered: departed.has('n1'), names: departed.names() }).toEqual({ remembered: false, names: [] });
  });

  test('passed on, a name keeps its age: a repeat or another sender never makes it younger, and one too old is not taken', () => {
    const { clock, departed } = departedNames();
    departed.addMember('n1', 1, 7);
    expect(departed.toCarry()).toEqual([{ name: 'n1', agoMs: 700, incarnation: 1 }]);
    departed.addMember('n1', 1);
    departed.addMember('n1', 1, 2);
    expect(departed.toCarry()).toEqual([{ name: 'n1', agoMs: 700, incarnation: 1 }]);
    // An older record wins.
    departed.addFromWire({ name: 'n1', agoMs: 900, incarnation: 1 });
    expect(departed.toCarry()).toEqual([{ name: 'n1', agoMs: 900, incarnation: 1 }]);
    clock.now += 91;
    expect(departed.has('n1')).toBe(false);
    // Forgotten here, it is not taken back from a sender that would say it is that old.
    departed.addFromWire({ name: 'n1', agoMs: 10_000, incarnation: 1 });
    expect(departed.has('n1')).toBe(false);
  });

  test('ages travel in milliseconds: a node that ticks every 50 ms counts a name heard 400 ms ago by a 100 ms sender as 8 of its ticks old', () => {
    const sender = departedNames(100, 10, 'subgrid', 100);
    sender.departed.addMember('n1', 1);
    sender.clock.now += 4;
    const [carried] = sender.departed.toCarry();
    const receiver = departedNames(100, 10, 'subgrid', 50);
    receiver.departed.addFromWire(carried!);
    receiver.clock.now += 1;
    // 10 ticks of carry at 50 ms: 2 left (8 old, 1 since).
    expect(receiver.departed.toCarry()).toEqual([{ name: 'n1', agoMs: 450, incarnation: 1 }]);
  });

  test(`a removal batch of more than 32 nodes: all of up to ${MAX_DEPARTED} names are kept and carried; beyond, those no longer carried go first, then the oldest`, () => {
    const { clock, departed } = departedNames(10_000, 1_000);
    departed.addMember('long-gone', 1);
    clock.now += 2_000;
    for (let index = 0; index < MAX_DEPARTED; index++) departed.addMember(`n${index}`, 1);
    // The batch is all there: the one no longer carried made room.
    expect({ remembered: departed.names().length, carried: departed.toCarry().length, longGone: departed.has('long-gone') }).toEqual({ remembered: MAX_DEPARTED, carried: MAX_DEPARTED, longGone: false });
    expect(MAX_DEPARTED).toBeGreaterThanOrEqual(100);
    for (let index = 0; index < 5; index++) {
      clock.now++;
      departed.addMember(`m${index}`, 1);
    }
    const names = departed.names();
    expect(names).toHaveLength(MAX_DEPARTED);
    expect(names).toContain('m4');
    expect(names.filter((name) => name.startsWith('n'))).toHaveLength(MAX_DEPARTED - 5);
  });

  test('a member is forgotten once the registry lists another incarnation of it (it signed in again), not its own', () => {
    const { departed, registry } = departedNames();
    signIn(registry, 'n1', 3);
    departed.addMember('n1', 3);
    departed.forgetSignedIn();
    expect(departed.has('n1')).toBe(true);
    signIn(registry, 'n1', 4);
    departed.forgetSignedIn();
    expect({ remembered: departed.has('n1'), carried: departed.toCarry() }).toEqual({ remembered: false, carried: [] });
    // A leave of an incarnation older than the one signed in is stale: never remembered.
    departed.addMember('n1', 3);
    expect(departed.has('n1')).toBe(false);
  });

  test('a region voter slot is forgotten once another holder signs in (the sub-grid made again), not for a stale holder listed when it was given up', () => {
    const { departed, registry } = departedNames(100, 10, 'region');
    signIn(registry, 'sp-last', 5, 's0');
    signIn(registry, 'sp-stale', 2, 's0');
    departed.addSlot('s0', 'sp-last', 5);
    registry.remove('sp-last');
    departed.forgetSignedIn();
    expect(departed.has('s0')).toBe(true);
    // Passed on, it names the node that gave it up.
    expect(departed.toCarry()).toEqual([{ name: 's0', agoMs: 0, incarnation: 5, holder: 'sp-last' }]);
    signIn(registry, 'sp-new', 1, 's0');
    departed.forgetSignedIn();
    expect(departed.has('s0')).toBe(false);
  });

  test('a slot learned from a sync: the holder that gave it up, signed in again with a newer incarnation, holds it anew', () => {
    const { departed, registry } = departedNames(100, 10, 'region');
    departed.addFromWire({ name: 's0', agoMs: 300, incarnation: 5, holder: 'sp-last' });
    signIn(registry, 'sp-last', 5, 's0');
    departed.forgetSignedIn();
    expect(departed.has('s0')).toBe(true);
    signIn(registry, 'sp-last', 6, 's0');
    departed.forgetSignedIn();
    expect(departed.has('s0')).toBe(false);
  });

  test(`a leaving leader's syncs carry itself and every name it knows within ${MAX_DEPARTED} entries: its own first, then all but the oldest when it knows ${MAX_DEPARTED} (the newest is not the one dropped)`, () => {
    const { clock, departed } = departedNames(10_000, 1_000);
    for (let index = 0; index < MAX_DEPARTED; index++) {
      departed.addMember(`n${index}`, 1);
      clock.now++;
    }
    const carried = departed.toCarry({ name: 'leader', incarnation: 9 });
    const names = carried.map((entry) => entry.name);
    expect({ length: carried.length, first: carried[0], newest: names.includes(`n${MAX_DEPARTED - 1}`), oldest: names.includes('n0') }).toEqual({
      length: MAX_DEPARTED,
      first: { name: 'leader', agoMs: 0, incarnation: 9 },
      newest: true,
      oldest: false,
    });
    // Below the cap, nothing is left out.
    expect(departedNames().departed.toCarry({ name: 'leader', incarnation: 9 })).toEqual([{ name: 'leader', agoMs: 0, incarnation: 9 }]);
  });

  test('a name heard again after it expired (and was not yet purged: no other name came since) is remembered anew, from now', () => {
    const { clock, departed } = departedNames();
    departed.addMember('n1', 1);
    clock.now += 150;
    expect(departed.has('n1')).toBe(false);
    departed.addMember('n1', 2);
    expect({ remembered: departed.has('n1'), carried: departed.toCarry() }).toEqual({ remembered: true, carried: [{ name: 'n1', agoMs: 0, incarnation: 2 }] });
  });

  test('a slot given up again by another holder (the sub-grid made again, and left again) is that holder\'s departure', () => {
    const { clock, departed } = departedNames(100, 10, 'region');
    departed.addSlot('s0', 'sp-old', 5);
    clock.now += 3;
    departed.addSlot('s0', 'sp-new', 1);
    expect(departed.toCarry()).toEqual([{ name: 's0', agoMs: 0, incarnation: 1, holder: 'sp-new' }]);
  });

  test('a node re-added under the same name with a lower incarnation (its state cleared, another host\'s clock) signed in again: forgotten on its join and wherever the registry lists it', () => {
    const leader = departedNames();
    leader.departed.addMember('n1', 1_000);
    leader.departed.addMember('n2', 1_000);
    // The leader hears the join: a member, or a holder of a slot given up.
    leader.departed.forgetOnJoin('n1', 999);
    leader.departed.forgetOnJoin('n2', 1_000);
    expect({ n1: leader.departed.has('n1'), n2: leader.departed.has('n2') }).toEqual({ n1: false, n2: true });
    const voter = departedNames();
    voter.departed.addMember('n1', 1_000);
    signIn(voter.registry, 'n1', 999);
    voter.departed.forgetSignedIn();
    expect(voter.departed.has('n1')).toBe(false);
    const region = departedNames(100, 10, 'region');
    region.departed.addSlot('s0', 'sp-last', 1_000);
    region.departed.forgetOnJoin('sp-last', 1_000, 's0');
    expect(region.departed.has('s0')).toBe(false);
  });

  test('on a sub-grid, syncs carry a name for 60 s, and it is remembered 10 min', () => {
    const clock = { now: 0 };
    const departed = DepartedNames.forTimers(() => clock.now, SUBGRID_TIMERS, new Registry('subgrid'), 100);
    departed.addMember('n1', 1);
    // 1 tick = 100 ms.
    clock.now = 599;
    expect(departed.toCarry()).toEqual([{ name: 'n1', agoMs: 59_900, incarnation: 1 }]);
    clock.now = 600;
    expect(departed.toCarry()).toEqual([]);
    clock.now = 5_999;
    expect(departed.has('n1')).toBe(true);
    clock.now = 6_000;
    expect(departed.has('n1')).toBe(false);
  });
});
