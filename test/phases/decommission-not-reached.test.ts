import { HostKeyError } from '../../src/errors/index.js';
import { decommissionKeyRefused, notDecommissioned } from '../../src/phases/decommission-not-reached.js';

/** The `gridops state rm` a hint suggests is pasted into a shell: every word quoted as one (review s32 L2). */
describe('the suggested state rm command', () => {
  it('quotes a topology path or state directory with a space, and leaves plain words as they are', () => {
    const { forget } = notDecommissioned(['n2'], { topologyFile: '/srv/my grid/grid.yaml', stateDir: "/var/lib/ops' state" });
    expect(forget).toBe(`if n2 is gone for good, \`gridops state rm '/srv/my grid/grid.yaml' n2 --state-dir '/var/lib/ops'\\'' state'\` forgets it without contacting it`);
    expect(notDecommissioned(['n2', 'n3'], { topologyFile: 'grid.yaml' }).forget).toContain('`gridops state rm grid.yaml n2 n3`');
  });
});

describe('a refused host key on a node being decommissioned', () => {
  const refused = new HostKeyError('n1, n2', '2 host keys refused:\n  n1: changed\n  n2: changed', 'verify the keys out of band', ['n1', 'n2']);

  it('keeps the error (the run stops) and adds how to forget only the nodes being decommissioned', () => {
    const err = decommissionKeyRefused(refused, new Set(['n2', 'n7']), { topologyFile: 'grid.yaml' });
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err.message).toBe(refused.message);
    expect(err.hosts).toEqual(['n1', 'n2']);
    expect(err.hint).toBe('verify the keys out of band; or, n2 is being decommissioned: if its host was reinstalled or is gone for good, `gridops state rm grid.yaml n2` forgets it without contacting it');
  });

  it('keeps the hosts the run did not reach, in the message and in `notReached`', () => {
    const withDown = new HostKeyError('n2', 'changed', 'verify the key out of band', ['n2'], [{ host: 'n3', message: 'timed out' }]);
    const err = decommissionKeyRefused(withDown, new Set(['n2']), { topologyFile: 'grid.yaml' });
    expect(err.message).toBe('n2: changed\nalso not reached, 1 host to look at before the next run:\n  n3: timed out');
    expect(err.notReached).toEqual([{ host: 'n3', message: 'timed out' }]);
  });

  it('a host not reached that is being decommissioned gets the hint to forget it, as in a run that goes on', () => {
    const withDown = new HostKeyError('n1', 'changed', 'verify the key out of band', ['n1'], [{ host: 'n3', message: 'timed out', hint: 'check that it is up' }]);
    const err = decommissionKeyRefused(withDown, new Set(['n3']), { topologyFile: 'grid.yaml' });
    const hint = 'check that it is up; or, if n3 is gone for good, `gridops state rm grid.yaml n3` forgets it without contacting it';
    expect(err.notReached).toEqual([{ host: 'n3', message: 'timed out', hint }]);
    expect(err.message).toBe(`n1: changed\nalso not reached, 1 host to look at before the next run:\n  n3: timed out\n      hint: ${hint}`);
    // The refused key's own hint is left as it was: n1 is not being decommissioned.
    expect(err.hint).toBe('verify the key out of band');
  });

  it('both the refused host and a host not reached being decommissioned: each gets its own state rm', () => {
    const withDown = new HostKeyError('n1', 'changed', 'verify the key out of band', ['n1'], [{ host: 'n3', message: 'timed out' }]);
    const err = decommissionKeyRefused(withDown, new Set(['n1', 'n3']), { topologyFile: 'grid.yaml' });
    expect(err.hint).toBe('verify the key out of band; or, n1 is being decommissioned: if its host was reinstalled or is gone for good, `gridops state rm grid.yaml n1` forgets it without contacting it');
    expect(err.notReached).toEqual([{ host: 'n3', message: 'timed out', hint: 'if n3 is gone for good, `gridops state rm grid.yaml n3` forgets it without contacting it' }]);
    expect(err.message).toBe('n1: changed\nalso not reached, 1 host to look at before the next run:\n  n3: timed out\n      hint: if n3 is gone for good, `gridops state rm grid.yaml n3` forgets it without contacting it');
  });

  it('is the same error where no refused host is being decommissioned', () => {
    expect(decommissionKeyRefused(refused, new Set(['n3']), { topologyFile: 'grid.yaml' })).toBe(refused);
  });
});
