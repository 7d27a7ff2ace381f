import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { misplacedSubstitutions } from '../../src/templates/misplaced-substitutions.js';
import { quote } from '../../src/transport/quote.js';

/** What the checker says of the one `{{x}}` in a command: null when it accepts it. */
const where = (command: string) => {
  const found = misplacedSubstitutions(command);
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0] ? found[0].message.replace(/^\{\{x\}\} stands /, '').replace(/, where .*/, '').replace(/ \(.*\)$/, '') : null;
};

describe('misplacedSubstitutions: where bash evaluates or re-parses a quoted value', () => {
  it('arithmetic: bash evaluates an array subscript in the value (a[$(cmd)]) even when it is quoted', () => {
    for (const command of ['(( {{x}} > 1 ))', 'if (({{x}})); then :; fi', 'echo $(( {{x}} + 1 ))', 'echo $(({{x}}))', 'echo $[ {{x}} + 1 ]', 'let n={{x}}', 'let "n = 1" {{x}}', 'a[{{x}}]=1', 'a[{{x}}]=1 cmd', 'declare -i n={{x}}', 'typeset -i n={{x}}', 'f() { local -i n={{x}}; }', 'declare -ri n={{x}}', 'declare -i n; n={{x}}', 'declare -i n; export n={{x}}', 'declare -i n; n+={{x}}'])
      expect([command, where(command)]).toEqual([command, 'in an arithmetic expression']);
  });

  it('[[ ... ]]: its -eq, -lt... and -v operands are evaluated; the whole test is refused', () => {
    for (const command of ['[[ {{x}} -eq 1 ]]', 'if [[ 1 -lt {{x}} ]]; then :; fi', '[[ -v {{x}} ]]', '[[ a == b || {{x}} -gt 2 ]] && echo y', '[[ ( {{x}} -eq 1 ) ]]'])
      expect([command, where(command)]).toEqual([command, 'inside [[ ... ]]']);
  });

  it('a variable name (read, printf -v, declare, test -v): bash evaluates a subscript in it', () => {
    for (const command of ['read {{x}} < /etc/f', 'read -r a {{x}} < /etc/f', 'printf -v {{x}} %s 1', 'declare {{x}}=1', 'local {{x}}', 'test -v {{x}}', '[ -v {{x}} ]', 'mapfile {{x}} < /f'])
      expect([command, where(command)]).toEqual([command, 'as a variable name']);
  });

  it("a variable name of unset, or a nameref's target (declare -n, local -n, typeset -n): bash evaluates a subscript in it", () => {
    for (const command of ['unset {{x}}', 'unset -v {{x}}', 'unset a {{x}}', 'unset -- {{x}}', 'declare -n r={{x}}', 'typeset -n r={{x}}', 'f() { local -n r={{x}}; }', 'declare -rn r={{x}}', 'declare -n {{x}}=a'])
      expect([command, where(command)]).toEqual([command, 'as a variable name']);
    // Functions' names and plain values are not evaluated: they stay accepted.
    for (const command of ['unset -f {{x}}', 'declare r={{x}}', 'export -n r={{x}}', 'local r={{x}}'])
      expect([command, where(command)]).toEqual([command, null]);
  });

  it('quote() does not protect those words: under bash, the quoted value still runs its command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-reevaluated-'));
    try {
      // DIRSTACK is always an array in bash, so unset evaluates the subscript of the quoted word.
      execFileSync('bash', ['--posix', '-c', `unset ${quote('DIRSTACK[$(touch unset-ran)0]')}`], { cwd: dir });
      execFileSync('bash', ['--posix', '-c', `declare -n r=${quote('a[$(touch nameref-ran)0]')}; : "$r"`], { cwd: dir });
      expect([existsSync(join(dir, 'unset-ran')), existsSync(join(dir, 'nameref-ran'))]).toEqual([true, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('code a shell parses again: eval, sh -c, alias, trap, su -c, ssh, watch, also behind a wrapper', () => {
    for (const command of ['eval {{x}}', 'eval echo {{x}}', 'sh -c {{x}}', 'bash -c {{x}}', 'bash -ec {{x}} sh', 'dash -c {{x}}', '/bin/sh -c {{x}}', 'zsh -c {{x}}', 'ksh -c {{x}}', 'sudo sh -c {{x}}', 'env A=1 bash -c {{x}}', 'command eval {{x}}', 'exec sh -c {{x}}', 'timeout 5 sh -c {{x}}', 'nohup sh -c {{x}} &', 'alias a={{x}}', 'trap {{x}} EXIT', 'trap -- {{x}} EXIT', 'su -c {{x}} root', 'su root --command {{x}}', 'runuser -u u -- sh -c {{x}}', 'ssh host {{x}}', 'ssh -p 22 host ls {{x}}', 'watch -n 1 ls {{x}}', 'true && eval {{x}}', 'echo a | sh -c {{x}}'])
      expect([command, where(command)]).toEqual([command, 'as code a shell parses again']);
  });

  it('the safe forms beside them stay accepted: a value as a plain argument or a string compared by [ ]', () => {
    for (const command of ['echo {{x}}', 'sh -c \'printf %s "$1"\' sh {{x}}', 'bash -c \'echo "$1"\' bash {{x}}', 'sh /srv/{{x}}.sh', '[ {{x}} = web ]', '[ {{x}} -eq 1 ]', 'test {{x}} = web', 'V={{x}} sh -c \'echo "$V"\'', 'n={{x}}; case $n in *[!0-9]*) exit 1;; esac; [ "$n" -gt 1 ]', 'echo a[{{x}}]', 'ssh {{x}} true', 'echo eval {{x}}', 'printf %s {{x}} | tr a b', 'declare -i n=1; m={{x}}', 'echo $((1 + 2)) {{x}}', 'grep -q {{x}} /etc/f && echo ok', 'su -l {{x}}'])
      expect([command, where(command)]).toEqual([command, null]);
  });

  it('each message says why and what to write instead', () => {
    const [arithmetic] = misplacedSubstitutions('(( {{x}} > 1 ))');
    expect(arithmetic!.message).toMatch(/array subscript/);
    expect(arithmetic!.hint).toMatch(/case /);
    const [reparsed] = misplacedSubstitutions('sh -c {{x}}');
    expect(reparsed!.message).toMatch(/parsed again/);
    expect(reparsed!.hint).toContain("sh -c '");
  });
});
