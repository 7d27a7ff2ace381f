/**
 * Unit tests are hermetic (STYLE.md): each runs with a HOME of its own (test/support/own-home-environment.ts),
 * so the developer's own ~/.ssh/config, known_hosts and keys cannot change what a test sees. The
 * real home is the passwd entry's, which HOME does not change.
 */
import { readdirSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { configFileReader } from '../../src/transport/ssh-config-include.js';
import { loadSshConfig } from '../../src/transport/ssh-config.js';

const realHome = userInfo().homedir;

describe("a unit test's home", () => {
  it('is an empty temp directory of its own, not the real one, as HOME and os.homedir() say alike', () => {
    expect(homedir()).not.toBe(realHome);
    expect(process.env.HOME).toBe(homedir());
    expect(homedir().startsWith(join(tmpdir(), 'gridops-unit-home-'))).toBe(true);
    expect(readdirSync(homedir())).toEqual([]);
  });

  it('is where the transport reads ~/.ssh/config from, where it names no file', () => {
    const read: string[] = [];
    const reader = configFileReader();
    loadSshConfig(undefined, undefined, undefined, undefined, (path, checked) => (read.push(path), reader(path, checked)));
    expect(read).toContain(join(homedir(), '.ssh', 'config'));
    expect(read.filter((path) => path.startsWith(`${realHome}/`))).toEqual([]);
  });
});
