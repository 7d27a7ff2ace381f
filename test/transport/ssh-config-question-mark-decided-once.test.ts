import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as realPatterns from '../../src/transport/ssh-pattern.js';

// Every reading of a block's pattern list is counted (a Match criterion's, patternsOf; a Host line's, its
// tokenValues, which also count every other directive's values read); the reading itself is the real one.
let patternListsRead = 0;
jest.unstable_mockModule('../../src/transport/ssh-pattern.js', () => ({
  ...realPatterns,
  patternsOf: (value: unknown) => {
    patternListsRead++;
    return realPatterns.patternsOf(value);
  },
  tokenValues: (value: unknown) => {
    patternListsRead++;
    return realPatterns.tokenValues(value);
  },
}));
const { loadSshConfig, sshConfigFor } = await import('../../src/transport/ssh-config.js');

/**
 * Whether a file holds a `?` pattern (whose lookups are judged on a rewritten copy,
 * ssh-config-exact-question-mark.ts) is worked out once per file, as the candidate blocks' index
 * is: a node's lookups judge no pattern list of the file again, so a large file without a `?` costs
 * its lookups nothing more than before `?` was judged as OpenSSH judges it.
 */
describe('a ~/.ssh/config without a `?`', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-question-mark-once-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has its pattern lists read for the first lookup only, not again for each of 100 more', () => {
    const file = join(dir, 'config');
    const blocks = Array.from({ length: 60 }, (_, i) => [`Host web${i} *.dc${i}.example.org`, `  Port ${2000 + i}`]).flat();
    writeFileSync(file, [...blocks, 'Match host 10.9.*', '  User nine', 'Host *', '  IdentityFile ~/.ssh/fleet'].join('\n') + '\n', { mode: 0o600 });
    const config = loadSshConfig(file, () => undefined, dir);
    // Named by its address, as `ssh HOST`: every lookup is made on the file as loaded.
    const lookup = (i: number) => sshConfigFor(config, { name: `web${i}`, address: `web${i}` });
    expect(lookup(0).port).toBe(2000);
    const afterFirst = patternListsRead;
    for (let i = 1; i <= 100; i++) expect(lookup(i % 60).port).toBe(2000 + (i % 60));
    expect(patternListsRead - afterFirst).toBe(0);
  });

  it("nor for nodes named otherwise than their address (the name's lookup): its per-file facts are the loaded file's, not each node's copy's", () => {
    const file = join(dir, 'config');
    const blocks = Array.from({ length: 60 }, (_, i) => [`Host web${i} *.dc${i}.example.org`, `  Port ${2000 + i}`]).flat();
    writeFileSync(file, [...blocks, 'Match user deploy', '  Port 1', 'Host *', '  User admin', '  HostName %h.example.org'].join('\n') + '\n', { mode: 0o600 });
    const config = loadSshConfig(file, () => undefined, dir);
    // No block of the address's own: each value is the name's (its HostName not used: the address is dialled).
    const lookup = (i: number) => sshConfigFor(config, { name: `web${i}`, address: `10.9.0.${i}` });
    expect(lookup(0)).toEqual({ port: 2000, user: 'admin' });
    const afterFirst = patternListsRead;
    for (let i = 1; i <= 100; i++) expect(lookup(i % 60)).toEqual({ port: 2000 + (i % 60), user: 'admin' });
    expect(patternListsRead - afterFirst).toBe(0);
  });
});
