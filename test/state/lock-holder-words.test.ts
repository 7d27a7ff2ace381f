import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../../src/errors/index.js';
import { StateLock } from '../../src/state/lock.js';

/**
 * A lock file may say anything (another user's run, a tampered file): its holder's words reach the
 * refusal escaped, so they cannot act on the terminal that shows it (text/printable-text.ts).
 */
describe("a held lock's holder, as the refusal shows it", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-lock-words-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('its host, command and start time have their terminal controls escaped; the lock file is left as it was', async () => {
    const file = join(dir, 'g.lock');
    // Another machine's run (a host name not ours): refused, never taken over, whatever its pid.
    const theirs = `${JSON.stringify({ pid: 1, host: 'box\u001b]0;owned\u0007', startedAt: '2026\u202e-01-01', command: 'gridops apply \u001b[2Jgrid.yaml' })}\n`;
    writeFileSync(file, theirs);
    const err = await StateLock.acquire(file, 'gridops apply grid.yaml').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).message).toBe('the state is locked by process 1 on box\\u001b]0;owned\\u0007 (gridops apply \\u001b[2Jgrid.yaml, started 2026\\u202e-01-01)');
    expect(readFileSync(file, 'utf8')).toBe(theirs);
  });
});
