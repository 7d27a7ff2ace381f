import { RunProfile } from '../../src/phases/run-profile.js';

describe("-v's profile: where ssh2 came from", () => {
  const profile = () => {
    const p = new RunProfile();
    p.startupMs = 90;
    p.codeCache = 'used';
    p.phase('connect', 12);
    return p;
  };

  it('a run that loaded ssh2 from its bundle says so, with what became of its code cache, after the rest', () => {
    const p = profile();
    p.ssh2 = { from: 'bundle', codeCache: 'rejected' };
    expect(p.lines()).toEqual(['start-up (process start to the first phase, code cache used): 90 ms', 'phase connect: 12 ms', 'ssh2 loaded from its bundle, code cache rejected']);
  });

  it('a run that loaded it from node_modules says so; one that loaded none says nothing of it', () => {
    const p = profile();
    expect(p.lines()).not.toContainEqual(expect.stringContaining('ssh2'));
    p.ssh2 = { from: 'node_modules' };
    expect(p.lines().at(-1)).toBe('ssh2 loaded from node_modules');
  });
});
