import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPlaybookText } from '../../src/playbooks/load.js';
import { substituteCommand, templateContext } from '../../src/templates/render.js';
import { quote } from '../../src/transport/quote.js';
import { gridWithLabels } from '../resources/fixtures.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const shown = (text: string) => checkPlaybookText('p.yaml', text).problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);

/** Label values that break out of any quoting but quote()'s, all on one line as labels are. */
const HOSTILE = ["$(id>pwned)", '`id>pwned`', "'; id>pwned; '", '"; id>pwned; "', "a'b\"c", '\\', "\\'", '$HOME', '${HOME}', '*', '~root', 'a b\tc', 'x,y', '-n', '', "#'", 'a;b|c&d', "%s", '!!', 'A=b'];
const hostileGrid = () => gridWithLabels(Object.fromEntries(HOSTILE.map((v, i) => [`v${i}`, v])));

describe('command substitutions stand where their quoting holds (checked when the playbook loads)', () => {
  it('a substitution inside double quotes is an error at its own file:line:column, saying what to write', () => {
    const text = `name: p\nresources:\n  - command:\n      name: rack\n      run: 'echo "rack={{node.labels.rack}}"'\n`;
    const [p, ...rest] = checkPlaybookText('p.yaml', text).problems;
    expect(rest).toEqual([]);
    expect(`${p!.file}:${p!.line}:${p!.column}: ${p!.message}`).toBe('p.yaml:5:24: {{node.labels.rack}} stands inside "...", where its shell quoting does not hold: the quotes gridops adds are literal there, and $(...) or backticks in the value run');
    expect(p!.hint).toBe('write it outside any quotes, alone or glued to plain text (echo rack={{node.labels.rack}}): gridops quotes each value as one shell word');
    expect(p!.path).toBe('resources[0].command.run');
  });

  it('every command string is checked (run, unless, prestop, handlers), each substitution on its own', () => {
    expect(
      shown(`name: p
resources:
  - command: { name: a, run: "echo '{{node.name}}' {{node.name}}", unless: "test \`cat {{node.name}}\` = x" }
  - absent-unit: { unit: x.service, prestop: "sh -c \\"leave {{node.name}}\\"" }
  - command:
      name: b
      run: |
        cat <<EOF > /etc/x
        name={{node.name}}
        EOF
        echo $(hostname) {{node.name}} # for {{node.name}}
handlers:
  - name: h
    run: echo \${X:-{{node.name}} } $X{{node.name}} \\\\{{node.name}}
`),
    ).toEqual([
      `p.yaml:3:37: {{node.name}} stands inside '...', where its shell quoting does not hold: a ' in the value ends the quotes and the rest runs as shell text`,
      'p.yaml:3:87: {{node.name}} stands inside backticks, where its shell quoting does not hold: a backtick in the value ends them and the rest runs',
      'p.yaml:4:61: {{node.name}} stands inside "...", where its shell quoting does not hold: the quotes gridops adds are literal there, and $(...) or backticks in the value run',
      'p.yaml:9:14: {{node.name}} stands in a here-document, where its shell quoting does not hold: its text is not split into words: the quotes are literal and $(...) in the value runs',
      'p.yaml:11:46: {{node.name}} stands in a comment, where its shell quoting does not hold: a line break in the value would end the comment and run the rest',
      'p.yaml:14:20: {{node.name}} stands inside ${...}, where its shell quoting does not hold: shells read quotes inside ${...} differently',
      'p.yaml:14:38: {{node.name}} stands right after $ or a $NAME, where its shell quoting does not hold: a plain value (a name, a number) would become part of the variable name',
      "p.yaml:14:54: {{node.name}} stands right after a backslash, where its shell quoting does not hold: the backslash escapes the ' that opens the value, which then runs as shell text",
    ]);
  });

  it('where bash evaluates or re-parses a quoted value ([[ -eq ]], (( )), let, eval, sh -c), a substitution is an error when the playbook loads', () => {
    // Why: quote() makes a value one literal word, but bash then evaluates that word as arithmetic.
    const dir = mkdtempSync(join(tmpdir(), 'gridops-arithmetic-'));
    try {
      execFileSync('bash', ['-c', `[[ ${quote('a[$(touch pwned)]')} -eq 1 ]] 2>/dev/null; true`], { cwd: dir });
      expect(readdirSync(dir)).toEqual(['pwned']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(
      shown(`name: p
resources:
  - command: { name: a, run: "[[ {{node.labels.n}} -eq 1 ]] && (( {{node.labels.n}} > 1 ))", unless: "let n={{node.labels.n}}" }
handlers:
  - name: h
    run: eval echo {{node.name}}; sh -c {{node.name}}; sh -c 'echo "$1"' sh {{node.name}}
`),
    ).toEqual([
      'p.yaml:3:34: {{node.labels.n}} stands inside [[ ... ]], where its shell quoting does not hold: the operands of -eq, -lt... and -v are read as arithmetic or variable names: bash evaluates the value, and an array subscript in it (a[$(cmd)]) runs the command, quotes or not',
      'p.yaml:3:67: {{node.labels.n}} stands in an arithmetic expression, where its shell quoting does not hold: bash evaluates the value, and an array subscript in it (a[$(cmd)]) runs the command, quotes or not',
      'p.yaml:3:109: {{node.labels.n}} stands in an arithmetic expression, where its shell quoting does not hold: bash evaluates the value, and an array subscript in it (a[$(cmd)]) runs the command, quotes or not',
      "p.yaml:6:20: {{node.name}} stands as code a shell parses again (eval, sh -c, alias, trap, su -c, ssh, watch), where its shell quoting does not hold: the value is parsed again as shell code, where gridops' quotes are gone: a ; or $(...) in it runs",
      "p.yaml:6:41: {{node.name}} stands as code a shell parses again (eval, sh -c, alias, trap, su -c, ssh, watch), where its shell quoting does not hold: the value is parsed again as shell code, where gridops' quotes are gone: a ; or $(...) in it runs",
    ]);
  });

  it('only commands are checked: a file line or path may hold a substitution inside quotes', () => {
    expect(shown(`name: p\nresources:\n  - line: { path: /etc/x, line: 'name="{{node.name}}"' }\n  - command: { name: c, run: "touch /x", creates: "/srv/'{{node.name}}'" }\n`)).toEqual([]);
  });

  it('YAML escapes around a substitution still find it; one written with escapes inside is reported at its string', () => {
    const inside = 'stands inside "...", where its shell quoting does not hold: the quotes gridops adds are literal there, and $(...) or backticks in the value run';
    expect(shown(`name: p\nresources:\n  - command: { name: c, run: "echo \\"{{node.name}}\\" \\"{{node.name}}\\"\\u0020" }\n`)).toEqual([`p.yaml:3:38: {{node.name}} ${inside}`, `p.yaml:3:56: {{node.name}} ${inside}`]);
    expect(shown(`name: p\nresources:\n  - command: { name: c, run: "echo \\"{{node.\\u006eame}}\\"" }\n`)).toEqual([`p.yaml:3:30: {{node.name}} ${inside}`]);
  });

  it('every playbook gridops ships, the bench\'s and the e2e fixtures still load', () => {
    const yaml = (dir: string) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.yaml') && !f.endsWith('.ansible.yaml')).map((f) => join(ROOT, dir, f));
    const playbooks = [...yaml('playbooks'), ...yaml('bench/provision'), ...yaml('test/e2e/fixtures')].filter((f) => /^resources:/m.test(readFileSync(f, 'utf8')));
    expect(playbooks.length).toBeGreaterThanOrEqual(14);
    // The agent bundle (dist/) exists only after a build, which unit tests do not run.
    const unbuilt = (p: { hint?: string }) => p.hint !== 'build gridops first: npm run build';
    for (const file of playbooks) expect([file, checkPlaybookText(file, readFileSync(file, 'utf8')).problems.filter(unbuilt)]).toEqual([file, []]);
  });

  it('hostile values in every allowed position reach a real sh as one literal word each, and nothing runs', () => {
    const grid = hostileGrid();
    const ctx = templateContext(grid, grid.regions[0]!.subgrids[0]!.nodes[0]!);
    const dir = mkdtempSync(join(tmpdir(), 'gridops-substitution-'));
    try {
      // Each position checked to load, then rendered and run: printf shows the words it got, one per line.
      const positions = ['printf -- "[%s]\\n" {{node.labels.vN}}', 'printf "[%s]\\n" pre{{node.labels.vN}}post', "printf '[%s]\\n' \"a\"{{node.labels.vN}}'b'", 'printf "[%s]\\n" $(echo)x={{node.labels.vN}} # a comment', 'V={{node.labels.vN}} sh -c \'printf "[%s]\\n" "$V"\'', "printf '[%s]\\n' \"$PWD\"{{node.labels.vN}}", 'printf "[%s]\\n" ${PWD}/{{node.labels.vN}}'];
      const expected = (value: string) => [`[${value}]`, `[pre${value}post]`, `[a${value}b]`, `[x=${value}]`, `[${value}]`, `[${dir}${value}]`, `[${dir}/${value}]`];
      for (const [i, value] of HOSTILE.entries()) {
        positions.forEach((position, k) => {
          const run = position.replace('vN', `v${i}`);
          expect([run, shown(`name: p\nresources:\n  - command: { name: c, run: ${JSON.stringify(run)} }\n`)]).toEqual([run, []]);
          const output = execFileSync('/bin/sh', ['-c', substituteCommand(run, ctx)], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
          expect([run, value, output]).toEqual([run, value, `${expected(value)[k]}\n`]);
        });
      }
      // A value that begins with - is refused where it would start an argument without a `--` before it.
      expect(() => substituteCommand(`printf "[%s]\\n" {{node.labels.v${HOSTILE.indexOf('-n')}}}`, ctx)).toThrow(/is "-n", which begins with -/);
      // Nothing ran: no `pwned` file.
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
