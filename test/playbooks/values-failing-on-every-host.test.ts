import { checkPlaybookText } from '../../src/playbooks/load.js';

/**
 * Values that would fail on every host, found when the playbook is read instead: a `line`'s match
 * that is no regular expression, a `line` of two lines, and a command the host's sh cannot parse
 * (an unclosed quote, `$(` or here-document), each at its own FILE:LINE:COL.
 */
const problems = (text: string) => checkPlaybookText('/pb/site.yaml', text).problems.map((p) => ({ at: `${p.line}:${p.column}`, path: p.path, message: p.message }));
const entry = (resource: string) => `name: site\nresources:\n  - ${resource}\n`;

describe('values that would fail on every host', () => {
  it('a line whose match is not a regular expression, at resources[0].line.match', () => {
    expect(problems(entry('line: { path: /etc/a.conf, line: "a=1", match: "^a=[" }'))).toEqual([
      { at: '3:52', path: 'resources[0].line.match', message: expect.stringMatching(/^"\^a=\[" is not a regular expression: .*Invalid regular expression/) },
    ]);
    // Substituted, it is compiled once rendered for a node.
    expect(problems(entry('line: { path: /etc/a.conf, line: "a=1", match: "^{{node.name}}=" }'))).toEqual([]);
  });

  it('a line holding a line break, at resources[0].line.line', () => {
    expect(problems(entry('line: { path: /etc/a.conf, line: "a=1\\nb=2" }'))).toEqual([
      { at: '3:38', path: 'resources[0].line.line', message: expect.stringMatching(/holds a line break/) },
    ]);
  });

  it.each([
    ['an unclosed quote', 'echo \\"unclosed', /Unterminated quoted string/],
    ['an unclosed $(', 'echo $(date', /expecting "\)"/],
    ['an unended here-document', 'cat <<EOF\\nx', /here-document/],
  ])('a command with %s, at resources[0].command.run', (_what, run, why) => {
    expect(problems(entry(`command: { name: c, run: "${run}" }`))).toEqual([{ at: '3:30', path: 'resources[0].command.run', message: expect.stringMatching(why) }]);
  });

  it('unless, prestop and a handler are checked too; a substituted value is a word, and sound commands pass', () => {
    expect(problems(entry('command: { name: c, run: "true", unless: "test \\"$(cat /x)\\" = \'a" }')).map((p) => p.path)).toEqual(['resources[0].command.unless']);
    expect(problems(entry('absent-unit: { unit: a.service, prestop: "echo \'a" }')).map((p) => p.path)).toEqual(['resources[0].absent-unit.prestop']);
    expect(problems('name: site\nresources:\n  - command: { name: c, run: "true", notify: [h] }\nhandlers:\n  - { name: h, run: "echo (" }\n').map((p) => p.path)).toEqual(['handlers[0].run']);
    expect(problems(entry('command: { name: c, run: "cat <<EOF > /etc/{{node.name}}\\nx\\nEOF\\n[ \\"$(uname)\\" = Linux ] && echo {{node.name}}" }'))).toEqual([]);
  });
});
