import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INOTIFY_MINIMUMS, limitRaises, raiseInotifyLimits } from '../../src/lab/host-limits.js';

describe('host inotify limits for container labs', () => {
  it('raises only the settings below their minimum, and never lowers a higher one', () => {
    expect(limitRaises({ 'fs/inotify/max_user_instances': 128, 'fs/inotify/max_user_watches': 1_000_000 })).toEqual([{ key: 'fs/inotify/max_user_instances', from: 128, to: 8192 }]);
    expect(limitRaises({ 'fs/inotify/max_user_instances': 10_000, 'fs/inotify/max_user_watches': 524288 })).toEqual([]);
  });

  it('leaves alone a setting this kernel does not have', () => {
    expect(limitRaises({})).toEqual([]);
  });

  it('writes the raised values into a proc/sys tree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-limits-'));
    try {
      mkdirSync(join(dir, 'fs/inotify'), { recursive: true });
      writeFileSync(join(dir, 'fs/inotify/max_user_instances'), '128\n');
      writeFileSync(join(dir, 'fs/inotify/max_user_watches'), '9999999\n');
      expect(raiseInotifyLimits(dir)).toEqual([{ key: 'fs/inotify/max_user_instances', from: 128, to: INOTIFY_MINIMUMS['fs/inotify/max_user_instances'] }]);
      expect(readFileSync(join(dir, 'fs/inotify/max_user_instances'), 'utf8').trim()).toBe('8192');
      expect(readFileSync(join(dir, 'fs/inotify/max_user_watches'), 'utf8').trim()).toBe('9999999');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
