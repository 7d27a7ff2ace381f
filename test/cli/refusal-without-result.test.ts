import { runApplyLike } from '../../src/apply-runner.js';
import { OverlayNotConvergedError } from '../../src/errors/index.js';

/**
 * `apply --rolling` refuses before any change when the overlay it starts from has not converged
 * (overlay-before-rolling): an OverlayNotConvergedError with no apply result, since no batch ran.
 * The runner prints a summary only for errors that carry one; without that guard the refusal was
 * replaced by "TypeError: Cannot read properties of undefined (reading 'hosts')" (found by the
 * engine-agent e2e test, an agent stopped before a rolling apply).
 */
describe('apply runner: an error of a kind that may carry a result, but has none', () => {
  it('is passed on as it is, without a summary', async () => {
    const said: string[] = [];
    const command = { jsonEnabled: () => false, isVerbose: () => false, useColor: () => false, say: (s: string) => void said.push(s) };
    const flags = { concurrency: 1, 'accept-new-host-keys': false, 'ask-become-pass': false, yes: true };
    const refusal = new OverlayNotConvergedError('--rolling needs a converged overlay to start from; nothing was changed', 'bring back the agents it names');
    await expect(runApplyLike(command as never, 'apply', 'grid.yaml', flags, {}, async () => Promise.reject(refusal))).rejects.toBe(refusal);
    expect(said).toEqual([]);
  });
});
