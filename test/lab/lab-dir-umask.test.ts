import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLabLock } from '../../src/lab/state.js';

/** The lab refuses a directory others may write (lab-record.ts): the one it makes itself is never such, whatever the umask. */
describe('the lab directory `up` makes', () => {
  const parent = mkdtempSync(join(tmpdir(), 'gridops-lab-umask-'));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  (process.getuid?.() === 0 ? it : it.skip)('is 0755 under a group-writable umask (002), and taken', async () => {
    const dir = join(parent, 'lab');
    const old = process.umask(0o002);
    try {
      await expect(withLabLock(dir, async () => 'locked')).resolves.toBe('locked');
    } finally {
      process.umask(old);
    }
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('755');
  });
});
