import { DepartedNames, MAX_DEPARTED } from '../../src/agent/core/group/departed.js';
import { SUBGRID_TIMERS } from '../../src/agent/core/timers.js';

/** The bounded memory of names that left for good (group/departed.ts), on a clock the test moves. */
function departedNames(keepFor = 100, carryFor = 10) {
  const clock = { now: 1_000 };
  return { clock, departed: new DepartedNames(() => clock.now, keepFor, carryFor) };
}

describe('the names that left for good', () => {
  test('a name is carried in syncs for carryFor ticks with its age, and remembered for keepFor ticks', () => {
    const { clock, departed } = departedNames();
    departed.add('n1');
    clock.now += 4;
    expect(departed.toCarry()).toEqual([{ name: 'n1', ago: 4 }]);
    clock.now += 6;
    expect({ carried: departed.toCarry(), remembered: departed.has('n1') }).toEqual({ carried: [], remembered: true });
    clock.now += 89;
    expect(departed.names()).toEqual(['n1']);
    clock.now += 1;
    expect({ remembered: departed.has('n1'), names: departed.names() }).toEqual({ remembered: false, names: [] });
  });

  test('passed on, a name keeps its age: a repeat or another sender never makes it younger, and one too old is not taken', () => {
    const { clock, departed } = departedNames();
    departed.add('n1', 7);
    expect(departed.toCarry()).toEqual([{ name: 'n1', ago: 7 }]);
    departed.add('n1');
    departed.add('n1', 2);
    expect(departed.toCarry()).toEqual([{ name: 'n1', ago: 7 }]);
    // An older record wins.
    departed.add('n1', 9);
    expect(departed.toCarry()).toEqual([{ name: 'n1', ago: 9 }]);
    clock.now += 91;
    expect(departed.has('n1')).toBe(false);
    // Forgotten here, it is not taken back from a sender that would say it is that old.
    departed.add('n1', 100);
    expect(departed.has('n1')).toBe(false);
  });

  test('at most MAX_DEPARTED names: the oldest go first', () => {
    const { clock, departed } = departedNames(10_000, 10_000);
    for (let index = 0; index < MAX_DEPARTED + 5; index++) {
      departed.add(`n${index}`);
      clock.now++;
    }
    const names = departed.names();
    expect(names).toHaveLength(MAX_DEPARTED);
    expect(names).not.toContain('n0');
    expect(names).not.toContain('n4');
    expect(names).toContain('n5');
    expect(departed.toCarry()).toHaveLength(MAX_DEPARTED);
  });

  test('a node of that name that signs in again is forgotten', () => {
    const { departed } = departedNames();
    departed.add('n1');
    departed.delete('n1');
    expect({ remembered: departed.has('n1'), carried: departed.toCarry() }).toEqual({ remembered: false, carried: [] });
  });

  test('on a sub-grid, syncs carry a name for 60 s, and it is remembered 10 min', () => {
    const clock = { now: 0 };
    const departed = DepartedNames.forTimers(() => clock.now, SUBGRID_TIMERS);
    departed.add('n1');
    // 1 tick = 100 ms.
    clock.now = 599;
    expect(departed.toCarry()).toEqual([{ name: 'n1', ago: 599 }]);
    clock.now = 600;
    expect(departed.toCarry()).toEqual([]);
    clock.now = 5_999;
    expect(departed.has('n1')).toBe(true);
    clock.now = 6_000;
    expect(departed.has('n1')).toBe(false);
  });
});
