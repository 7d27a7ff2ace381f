import { shellContexts } from '../../src/templates/shell-contexts.js';

/** The context of the one `_` in `text` (the character misplaced-substitutions puts for a `{{...}}`). */
const at = (text: string) => {
  expect(text.split('_').length).toBe(2);
  return shellContexts(text)[text.indexOf('_')];
};

describe('shellContexts: where each character of a command stands', () => {
  it('plain command text, a word alone or glued to other text, after operators and redirections', () => {
    for (const text of ['_', 'echo _', 'echo rack=_', 'echo /srv/_/x', 'a && _ || b; c | d', 'printf %s _ > /tmp/f', 'cat < _', 'cat <<< _', '( echo _ )', 'V=_ cmd', '{ echo _; }', 'echo a#_', 'echo "a"_\'b\'', 'echo $HOME/_', 'echo ${HOME}_', 'echo "$(id)"_', 'echo $ _', 'echo a\\\nb _', 'echo ~/_', 'echo {a,b}_'])
      expect([text, at(text)]).toEqual([text, 'unquoted']);
  });

  it('quotes, with escaped and nested quotes inside them', () => {
    expect(at("echo '_'")).toBe('single-quotes');
    expect(at('echo "rack=_"')).toBe('double-quotes');
    expect(at("echo \"it's _\"")).toBe('double-quotes');
    expect(at('echo "a \\" _"')).toBe('double-quotes');
    expect(at('echo "a \\\\" _')).toBe('unquoted');
    // Inside single quotes a backslash is literal: the quote after it closes them.
    expect(at("echo 'a\\' _")).toBe('unquoted');
    expect(at("echo 'a\"' _ '\"'")).toBe('unquoted');
    expect(at("echo \"a'\" _ \"'\"")).toBe('unquoted');
    expect(at('echo "$(echo ")" _)"')).toBe('double-quotes');
    expect(at('echo "a"\'b\'"c _"')).toBe('double-quotes');
    // The shape the agent-rename playbook uses: quoted text on both sides of a plain word.
    expect(at('grep -qxF "node: \\""_"\\"" f')).toBe('unquoted');
  });

  it("bash's $'...' and $\"...\", with a backslash escaping the quote", () => {
    expect(at("echo $'a\\' _'")).toBe('dollar-single-quotes');
    expect(at("echo $'a\\'' _")).toBe('unquoted');
    expect(at('echo $"_"')).toBe('double-quotes');
    // Inside double quotes, $' is a $ and a quote character.
    expect(at('echo "$\'" _')).toBe('unquoted');
  });

  it('backslashes: the escaped character, and a backslash escaped itself', () => {
    expect(at('echo \\_')).toBe('escaped');
    expect(at('echo \\\\_')).toBe('unquoted');
    expect(at('echo \\"_')).toBe('unquoted');
    expect(at('echo \\\'_')).toBe('unquoted');
  });

  it('command substitutions, backticks and parameter expansions, nested or not', () => {
    expect(at('echo $(cat _)')).toBe('command-substitution');
    expect(at('echo $(echo $(cat _))')).toBe('command-substitution');
    expect(at('echo $(echo "(" _)')).toBe('command-substitution');
    expect(at('echo $( (echo a) ) _')).toBe('unquoted');
    expect(at('echo $((1 + 2)) _')).toBe('unquoted');
    expect(at('echo $((1 + _))')).toBe('arithmetic');
    expect(at('echo `cat _`')).toBe('backticks');
    expect(at('echo `echo \\`` _')).toBe('unquoted');
    expect(at('echo ${X:-_}')).toBe('parameter-expansion');
    expect(at("echo ${X:-'}'} _")).toBe('unquoted');
    expect(at('echo ${X:-${Y}} _')).toBe('unquoted');
    expect(at('echo "${X:-_}"')).toBe('double-quotes');
  });

  it("arithmetic: $((...)), bash's $[...] and a ((...)) command, to their end", () => {
    for (const text of ['echo $((_))', 'echo $(( (1 + _) * 2 ))', 'echo $[_ + 1]', 'echo $[ a[_] ]', '(( _ > 1 ))', 'if ((_)); then :; fi', 'a && ((n = _))', 'echo $((_))x'])
      expect([text, at(text)]).toEqual([text, 'arithmetic']);
    expect(at('echo "$[_]"')).toBe('double-quotes');
    for (const text of ['(( 1 )) && echo _', 'echo $[1] _', 'echo $(((1 + 2))) _', '( (echo a) ) _', 'echo $( (echo a) ) _'])
      expect([text, at(text)]).toEqual([text, 'unquoted']);
  });

  it('after a $ or within a $NAME, where more name characters lengthen the name', () => {
    expect(at('echo $_')).toBe('parameter');
    expect(at('echo $HOME_')).toBe('parameter');
    expect(at('echo "$HOME"_')).toBe('unquoted');
  });

  it('comments: from a # that starts a word to the end of the line', () => {
    expect(at('echo a # _')).toBe('comment');
    expect(at('#_')).toBe('comment');
    expect(at('echo a # x\necho _')).toBe('unquoted');
    expect(at("echo '# x' _")).toBe('unquoted');
    expect(at('echo $# _')).toBe('unquoted');
    expect(at('echo ${#X} _')).toBe('unquoted');
  });

  it('here-documents: the delimiter and the body, quoted delimiter or not, <<- with tabs', () => {
    expect(at('cat <<EOF\n_\nEOF')).toBe('here-document');
    expect(at("cat <<'EOF'\nrack=_\nEOF")).toBe('here-document');
    expect(at('cat <<"E"OF >f\na\n_\nEOF\necho b')).toBe('here-document');
    expect(at('cat <<EOF\na\nEOF\necho _')).toBe('unquoted');
    expect(at('cat <<-EOF\n\ta\n\tEOF\necho _')).toBe('unquoted');
    expect(at('cat <<EOF\n\tEOF\n_\nEOF')).toBe('here-document');
    expect(at('cat <<EOF; echo x\n_\nEOF')).toBe('here-document');
    expect(at('cat <<A <<B\na\nA\n_\nB\necho b')).toBe('here-document');
    expect(at('cat <<_')).toBe('here-document');
    expect(at('cat <<EOF\nEOF\necho "<<" _')).toBe('unquoted');
  });

  it('a ~ prefix and bash brace expansion, where a plain value changes meaning', () => {
    expect(at('ls ~_')).toBe('tilde-prefix');
    expect(at('PATH=~_')).toBe('tilde-prefix');
    expect(at('ls ~/_')).toBe('unquoted');
    expect(at('ls a~_')).toBe('unquoted');
    expect(at('echo {a,_}')).toBe('brace-expansion');
    expect(at('echo x{_,b}')).toBe('brace-expansion');
    expect(at('echo "{"_')).toBe('unquoted');
  });

  it('unclosed quotes run to the end of the text', () => {
    expect(at('echo "a _')).toBe('double-quotes');
    expect(at("echo 'a _")).toBe('single-quotes');
    expect(shellContexts('')).toEqual([]);
  });
});
