import { profileText } from '../../src/formatters/profile.js';
import { RunProfile } from '../../src/phases/run-profile.js';

describe("-v --json's profile line: what the text lines say, the code caches' state included", () => {
  const profile = () => {
    const p = new RunProfile();
    p.startupMs = 90;
    p.codeCache = 'rejected';
    p.phase('connect', 12);
    p.host('n1', 'connect', 7);
    return p;
  };
  const parsed = (p: RunProfile) => JSON.parse(profileText(p, true)) as Record<string, unknown>;

  it("carries the CLI bundle's code cache and where ssh2 came from, with its cache", () => {
    const p = profile();
    p.ssh2 = { from: 'bundle', codeCache: 'used' };
    expect(parsed(p)).toEqual({ type: 'profile', startupMs: 90, codeCache: 'rejected', phases: [{ title: 'connect', ms: 12 }], hosts: { n1: { connect: 7 } }, ssh2: { from: 'bundle', codeCache: 'used' } });
    p.ssh2 = { from: 'node_modules' };
    expect(parsed(p).ssh2).toEqual({ from: 'node_modules' });
  });

  it('leaves out what the run does not know, as the text lines do: no code cache outside bin/run.js, no ssh2 where none loaded', () => {
    const p = new RunProfile();
    p.phase('plan', 3);
    const json = parsed(p);
    expect(json).not.toHaveProperty('codeCache');
    expect(json).not.toHaveProperty('ssh2');
    expect(p.lines().join('\n')).not.toMatch(/code cache|ssh2/);
  });
});
