import { notDecommissioned } from '../../src/phases/decommission-not-reached.js';

/** The `gridops state rm` a hint suggests is pasted into a shell: every word quoted as one (review s32 L2). */
describe('the suggested state rm command', () => {
  it('quotes a topology path or state directory with a space, and leaves plain words as they are', () => {
    const { forget } = notDecommissioned(['n2'], { topologyFile: '/srv/my grid/grid.yaml', stateDir: "/var/lib/ops' state" });
    expect(forget).toBe(`if n2 is gone for good, \`gridops state rm '/srv/my grid/grid.yaml' n2 --state-dir '/var/lib/ops'\\'' state'\` forgets it without contacting it`);
    expect(notDecommissioned(['n2', 'n3'], { topologyFile: 'grid.yaml' }).forget).toContain('`gridops state rm grid.yaml n2 n3`');
  });
});
