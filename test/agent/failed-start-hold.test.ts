import { FAILED_START_HOLD_MS, holdFailedStart } from '../../src/agent/runtime/failed-start-hold.js';

/** The unit has no start limit (session 44's review): a start that fails waits out the rest of 2 s before it exits. */
test('a start that fails at once waits out the rest of the hold; one that took longer exits at once', async () => {
  const slept: number[] = [];
  const sleep = async (ms: number) => void slept.push(ms);
  await holdFailedStart(0, () => 300, sleep);
  await holdFailedStart(0, () => FAILED_START_HOLD_MS + 30_000, sleep);
  expect(slept).toEqual([FAILED_START_HOLD_MS - 300]);
});
