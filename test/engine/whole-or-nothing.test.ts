import { spawnSync } from 'node:child_process';
import { wholeOrNothing } from '../../src/engine/whole-or-nothing.js';

/** The group around a batch (test/engine/batch-cut-in-transit.test.ts cuts a real one at every byte). */
describe('wholeOrNothing', () => {
  const dash = (script: string) => spawnSync('dash', ['-s'], { input: script, encoding: 'utf8' });

  it('closes the group on a line of its own, after a last line with no newline too (a comment there would swallow it)', () => {
    expect(wholeOrNothing('echo a\n')).toBe('{\necho a\n}\n');
    expect(wholeOrNothing('echo a # done')).toBe('{\necho a # done\n}\n');
    expect(dash(wholeOrNothing('echo a # done'))).toMatchObject({ status: 0, stdout: 'a\n' });
  });

  it('leaves a script with no command as it is: an empty group is a syntax error', () => {
    expect(wholeOrNothing('')).toBe('');
    expect(wholeOrNothing('\n')).toBe('\n');
    expect(dash(wholeOrNothing('\n')).status).toBe(0);
  });

  it("keeps the script's exit status, its here-documents and its traps", () => {
    const r = dash(wholeOrNothing("trap 'echo trapped' EXIT\ncat <<'E'\n}\nE\nexit 3"));
    expect(r).toMatchObject({ status: 3, stdout: '}\ntrapped\n' });
  });
});
