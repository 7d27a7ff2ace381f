import { newRow, noteQuiet, recordTimed } from '../../bench/lib/timed-runs.js';

/** A row's timed runs: times, paired ratios, and the runs that found no quiet machine, per row. */
describe('timed runs of a row', () => {
  it('records a time, and its ratio where a floor run came just before', () => {
    const row = newRow(50, 3, ['floor', 'first']);
    recordTimed(row, 'floor', { s: 2, quiet: true }, undefined);
    recordTimed(row, 'first', { s: 3, quiet: true }, 2);
    expect(row.times).toEqual({ floor: [2], first: [3] });
    expect(row.paired).toEqual({ floor: [], first: [1.5] });
  });

  it('counts the timed runs that found no quiet machine in their own row only', () => {
    const at50 = newRow(50, 3, ['floor']);
    const at500 = newRow(500, 1, ['floor']);
    recordTimed(at50, 'floor', { s: 1, quiet: false }, undefined);
    recordTimed(at50, 'floor', { s: 1, quiet: true }, undefined);
    noteQuiet(at50, { s: 9, quiet: false });
    recordTimed(at500, 'floor', { s: 1, quiet: true }, undefined);
    expect(at50.unquiet).toBe(2);
    expect(at500.unquiet).toBe(0);
  });
});
