import { execFileSync } from 'node:child_process';
import { withRemoteTimeout } from '../../src/transport/remote-timeout.js';

/** The wrapper as the login shell (bash or dash) runs it: the command's output, the script on stdin for `sh -s`. */
const run = (shell: string, wrapped: string, stdin = '') => execFileSync(shell, ['-c', wrapped], { input: stdin, encoding: 'utf8' });

describe('withRemoteTimeout', () => {
  it.each(['bash', 'dash'])('%s: runs a command under timeout, quoted whole', (shell) => {
    expect(run(shell, withRemoteTimeout("printf '%s\\n' 'a b' \"$((1 + 1))\"", 5000))).toBe('a b\n2\n');
    expect(withRemoteTimeout('true', 5000)).toMatch(/^if command -v timeout .*exec timeout -k 2 6 sh -c true; else exec sh -c true; fi$/);
  });
  it.each(['bash', 'dash'])('%s: the gate\'s `sh -s` reads its script from stdin, with no shell in between', (shell) => {
    const wrapped = withRemoteTimeout('sh -s', 5000);
    expect(wrapped).toContain('exec timeout -k 2 6 sh -s;');
    expect(run(shell, wrapped, 'echo one\necho "two $((2 + 1))"\n')).toBe('one\ntwo 3\n');
  });
  it('a command that outlives its deadline is killed on the host', () => {
    const t0 = Date.now();
    expect(() => run('sh', withRemoteTimeout('sleep 30', 1000))).toThrow();
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
