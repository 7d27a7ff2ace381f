import { checkTopologyText } from '../../src/topology/load.js';

const grid = (rollout: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
${rollout}
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: a, address: 10.0.0.1 }
`;

/** Each rolling gate waits for the overlay to hold the same peers for 3 s (GATE_STABLE_MS), within rollout.healthTimeout. */
describe('rollout.healthTimeout and the rolling gate', () => {
  /**
   * It matters only to `apply --rolling`: as a load-time error it blocked reset, state rm, status and
   * a plain apply, and a file valid before an upgrade stopped working (review phases2 4). Now a
   * warning where it is written; `apply --rolling` refuses it (test/phases/rolling-health-timeout.test.ts).
   */
  it('warns of a timeout that leaves a gate no time past its stable window, where it is written, saying what to write; the grid loads', () => {
    for (const short of ['2s', '500ms', '3s']) {
      const { grid: g, problems, warnings } = checkTopologyText('t.yaml', grid(`rollout:\n  maxUnavailable: 1\n  healthTimeout: ${short}`));
      expect(problems).toEqual([]);
      expect(g).toBeDefined();
      expect(warnings).toContainEqual({
        file: 't.yaml',
        line: 6,
        column: 18,
        path: 'rollout.healthTimeout',
        message: `healthTimeout ${short} is not longer than the 3 s a rolling batch's overlay must hold the same super and region peers to pass its gate, so every batch of apply --rolling would fail`,
        hint: 'set rollout.healthTimeout well above 3s, leaving the overlay time to converge first, e.g. 30s (60s when not set)',
      });
    }
  });

  it('accepts a timeout past the stable window, and none written (60 s)', () => {
    expect(checkTopologyText('t.yaml', grid('rollout: { healthTimeout: 3.5s }')).grid?.rollout.healthTimeoutMs).toBe(3500);
    expect(checkTopologyText('t.yaml', grid('rollout: { maxUnavailable: 2 }')).grid?.rollout.healthTimeoutMs).toBe(60_000);
  });
});
