import { createRequire } from 'node:module';
import type SSHConfig from 'ssh-config';
import { withBlocksThatCanMatch } from '../../src/transport/ssh-config-candidate-blocks.js';
import { withExactQuestionMarks } from '../../src/transport/ssh-config-exact-question-mark.js';
import { withHostLinesAsWords } from '../../src/transport/ssh-config-host-words.js';
import { withNestedBlocksResolved } from '../../src/transport/ssh-config-nested-blocks.js';

/**
 * A lookup made on the blocks that can match its host gives what the lookup gives on the whole
 * file: the parser's compute(), with its `?` patterns written out as OpenSSH judges them
 * (ssh-config-exact-question-mark.ts), on the file as loadSshConfig parses it (a Host line's
 * patterns are its words: ssh-config-host-words.ts), is the reference, the parser's other quirks
 * included (its patterns are case-sensitive), for every host and with or without a login user.
 */
describe('the blocks a lookup can match', () => {
  // The parser's class as loadSshConfig loads it (its CommonJS build).
  const { SSHConfig: Parser } = createRequire(import.meta.url)('ssh-config') as typeof import('ssh-config');
  const parse = (lines: string[]) => withHostLinesAsWords(Parser.parse(lines.join('\n'))) as unknown as SSHConfig;
  const hosts = ['web', 'web1', 'web12', 'web2', 'WEB3', 'web3', 'a+b', 'aab', 'x[1]', 'x1', '(grp)', 'grp', 'web1,web2', 'x.prod', 'y.test', 'host$', 'a|b', 'a', '\\back', 'n', 'empty', '!web1', 'other', '10.0.0.5'];
  const lookups = (config: SSHConfig, host: string) => [
    withExactQuestionMarks(config, host, undefined).compute(host, { matchExec: false }),
    withExactQuestionMarks(config, host, 'admin').compute({ Host: host, User: 'admin' }, { matchExec: false }),
  ];

  it('Host blocks of every pattern form, negations and Match blocks: the same values for every host', () => {
    const config = parse([
      'User top',
      'Host web?',
      '  Port 1001',
      'Host a+b x[1] (grp) host$ a|b \\back',
      '  Port 1002',
      'Host web1,web2',
      '  Port 1003',
      'Host !web1 web*',
      '  IdentityFile ~/.ssh/web-not-1',
      'Host WEB3',
      '  Port 1004',
      'Host n n',
      '  ProxyJump hop',
      '  ProxyJump second',
      'Host empty',
      'Host 10.0.0.5',
      '  HostName five.internal',
      'Match host *.internal',
      '  Port 1005',
      'Match user admin originalhost web*',
      '  IdentityFile ~/.ssh/admin',
      'Host !*.prod *',
      '  IdentityFile ~/.ssh/not-prod',
      'Host *',
      '  IdentityFile ~/.ssh/every',
    ]);
    for (const host of hosts) expect({ host, values: lookups(withBlocksThatCanMatch(config, host), host) }).toEqual({ host, values: lookups(config, host) });
    // The host's own block is kept even where it sets nothing; the blocks of other names are not given to compute().
    expect(withBlocksThatCanMatch(config, 'empty').map((line) => (line as { value?: unknown }).value)).toContainEqual([{ val: 'empty', separator: ' ', quoted: false }]);
    expect(withBlocksThatCanMatch(config, 'empty')).toHaveLength(config.length - 7);
  });

  it('blocks inside a block (an Include under Host or Match) resolve to the same values', () => {
    // What loadSshConfig makes of `Host web*` / `Include FILE` with Host blocks in FILE: blocks inside the block.
    const config = parse(['Host web*', '  Port 2000', 'Match user admin', '  Port 2001', 'Host *', '  User everyone']);
    const inner = parse(['Host web1', '  IdentityFile ~/.ssh/one', 'Host web2 other', '  IdentityFile ~/.ssh/two', 'Host !web1 *', '  HostName %h.fallback']);
    const [outerHost, outerMatch] = config as unknown as Array<{ config: unknown[] }>;
    outerHost!.config.push(...(inner as unknown as unknown[]));
    outerMatch!.config.push(...(parse(['Host web12', '  User nested']) as unknown as unknown[]));
    const resolved = (lines: SSHConfig, host: string, user: string | undefined) => {
      const compute = (c: SSHConfig) => {
        const exact = withExactQuestionMarks(c, host, user);
        return user === undefined ? exact.compute(host, { matchExec: false }) : exact.compute({ Host: host, User: user }, { matchExec: false });
      };
      return compute(withNestedBlocksResolved(lines, host, compute));
    };
    for (const host of hosts) {
      for (const user of [undefined, 'admin']) expect({ host, user, values: resolved(withBlocksThatCanMatch(config, host), host, user) }).toEqual({ host, user, values: resolved(config, host, user) });
    }
  });

  it('a file with a `Match final`: the blocks that can match the host or the HostName its first pass gives resolve to the same values', () => {
    const config = parse([
      'Host alias? short',
      '  HostName web12',
      'Host via-user',
      '  HostName admin-box',
      'Match final host web1*',
      '  IdentityFile ~/.ssh/final-web1x',
      'Host web12',
      '  Port 1012',
      '  IdentityFile ~/.ssh/web12',
      'Host web? !web3',
      '  Port 1001',
      'Host admin-box',
      '  User admin',
      'Match user admin',
      '  Port 1099',
      'Host *',
      '  IdentityFile ~/.ssh/every',
    ]);
    const first = (v: unknown) => (Array.isArray(v) ? v[0] : v) as string | undefined;
    const computeOf = (host: string, user: string | undefined) => (c: SSHConfig) => {
      const exact = withExactQuestionMarks(c, host, user);
      return user === undefined ? exact.compute(host, { matchExec: false }) : exact.compute({ Host: host, User: user }, { matchExec: false });
    };
    for (const host of [...hosts, 'alias1', 'alias12', 'short', 'via-user', 'admin-box']) {
      for (const user of [undefined, 'admin']) {
        const compute = computeOf(host, user);
        const candidates = withBlocksThatCanMatch(config, host, (firstPass) => first(compute(firstPass).HostName));
        expect({ host, user, values: compute(candidates) }).toEqual({ host, user, values: compute(config) });
      }
    }
    // An alias is given its own block and its HostName's, not the blocks of other names.
    const compute = computeOf('alias1', undefined);
    expect(withBlocksThatCanMatch(config, 'alias1', (firstPass) => first(compute(firstPass).HostName)).map((line) => (line as { param?: string }).param)).toEqual(['Host', 'Match', 'Host', 'Match', 'Host']);
  });

  it('a file that makes compute() judge Host blocks against another name is looked up whole: a `Match final` where no first pass is given, CanonicalizeHostName', () => {
    const finalPass = parse(['Host alias1', '  HostName real1.example', 'Match final', '  ServerAliveInterval 1', 'Host real1.example', '  Port 4444']);
    expect(withBlocksThatCanMatch(finalPass, 'alias1')).toBe(finalPass);
    const canonical = parse(['Host short', '  CanonicalizeHostName yes', 'Host short.example.org', '  Port 4444']);
    expect(withBlocksThatCanMatch(canonical, 'short')).toBe(canonical);
  });
});
