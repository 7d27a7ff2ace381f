import { execFileSync } from 'node:child_process';
import { quote, sh } from '../../src/transport/quote.js';

// Each value goes through a real shell and must come back byte for byte.
const hostile: Array<[string, string]> = [
  ['empty', ''],
  ['space', 'a b  c'],
  ['single quotes', `it's 'quoted' ''`],
  ['double quotes', '"$HOME" "x"'],
  ['command substitution', '$(touch /tmp/gridops-pwned) $((1+1))'],
  ['backticks', '`id` `touch /tmp/gridops-pwned`'],
  ['variables', '$PATH ${HOME:-x} $0 $@ $* $$ $?'],
  ['metacharacters', '; & | && || > < >> << ( ) { } [ ] * ? ~ # ! \\ ^ %'],
  ['newlines and tabs', 'line1\nline2\r\n\tindent\n'],
  ['leading dash', '-n -e --'],
  ['backslashes', 'C:\\path\\n\\t\\\\'],
  ['glob', '*'],
  ['tilde', '~root'],
  ['unicode', 'naïve — 日本語 🚀 \u200b'],
  ['control bytes', '\x01\x07\x1b[31m\x7f'],
  ['heredoc-ish', "<<'EOF'\nEOF\n"],
  ['10 kB', `'$\`\n`.repeat(2500)],
  ['safe word', 'abc/DEF_1.2:3@5%6+7,8-9'],
  ['assignment-like', 'A=b'],
];

function roundTrip(shell: string, value: string): Buffer {
  return execFileSync(shell, ['-c', `printf %s ${quote(value)}`], { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('quote()', () => {
  it.each(hostile)('%s survives /bin/sh verbatim', (_name, value) => {
    expect(roundTrip('/bin/sh', value).equals(Buffer.from(value, 'utf8'))).toBe(true);
  });
  it.each(hostile.filter(([n]) => n !== '10 kB'))('%s survives bash verbatim', (_name, value) => {
    expect(roundTrip('/bin/bash', value).equals(Buffer.from(value, 'utf8'))).toBe(true);
  });
  it('quotes the empty string as a word', () => {
    expect(quote('')).toBe("''");
  });
  it('a value with = is quoted: as the first word of a command it would be an assignment, and the next word would run', () => {
    expect(quote('A=b')).toBe("'A=b'");
    // Unquoted, `A=b --flag` runs `--flag`; quoted, the shell looks for a command named A=b.
    const r = (() => {
      try {
        return execFileSync('/bin/sh', ['-c', `${quote('A=b')} echo ran`], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      } catch (e) {
        return `failed: ${(e as { status?: number }).status}`;
      }
    })();
    expect(r).toBe('failed: 127');
  });
  it('refuses NUL bytes', () => {
    expect(() => quote('a\0b')).toThrow(TypeError);
  });
  it('sh() keeps argument boundaries', () => {
    const argv = ['a b', '', '$(x)', "'"];
    const out = execFileSync('/bin/sh', ['-c', `printf '[%s]' ${sh(argv)}`]);
    expect(out.toString()).toBe("[a b][][$(x)][']");
  });
});
