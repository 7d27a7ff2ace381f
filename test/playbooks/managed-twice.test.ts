import { checkPlaybookText } from '../../src/playbooks/load.js';

/**
 * Two entries of one playbook that manage the same thing: the planner refuses them on every host
 * ("two resources manage ..."), so loading the playbook refuses them first, at the later entry.
 */
const check = (text: string) => checkPlaybookText('/pb/site.yaml', text).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);

describe('one playbook managing a thing twice', () => {
  it('two commands of one name, two files of one path: refused at the later entry, naming the earlier', () => {
    expect(check('name: site\nresources:\n  - command: { name: a, run: "true" }\n  - command: { name: a, run: "false" }\n')).toEqual([
      "4:5: this entry manages command a, which resources[0] manages already: a node's playbooks may manage each thing once",
    ]);
    expect(check('name: site\nresources:\n  - file: { path: /etc/x, content: a }\n  - directory: { path: /etc/x }\n  - file: { path: /etc/x, content: b }\n')).toEqual([
      '4:5: this entry writes /etc/x, which resources[0] (file) writes too: each would undo what the other wrote, at every run',
      "5:5: this entry manages file /etc/x, which resources[0] manages already: a node's playbooks may manage each thing once",
    ]);
  });

  it('a path known per node only is the planner\'s to compare; different things pass', () => {
    expect(check('name: site\nresources:\n  - file: { path: "/etc/{{node.name}}", content: a }\n  - file: { path: "/etc/{{node.name}}", content: b }\n')).toEqual([]);
    expect(check('name: site\nresources:\n  - command: { name: a, run: "true" }\n  - command: { name: b, run: "true" }\n  - sandbox-egress: {}\n  - sandbox-egress: {}\n')).toEqual([]);
  });

  it('a file and a line on one literal path: refused at the later entry (resources[1]), naming the earlier; lines alone chain', () => {
    const problems = checkPlaybookText('/pb/site.yaml', 'name: site\nresources:\n  - file: { path: /etc/app.conf, content: "a=1\\n" }\n  - line: { path: /etc/app.conf, line: "b=2" }\n').problems;
    expect(problems).toEqual([expect.objectContaining({ path: 'resources[1]', line: 4, column: 5, message: 'this entry writes /etc/app.conf, which resources[0] (file) writes too: each would undo what the other wrote, at every run', hint: expect.stringMatching(/manage the whole file in one place/) })]);
    expect(check('name: site\nresources:\n  - line: { path: /etc/app.conf, line: "b=2" }\n  - line: { path: /etc/app.conf, line: "c=3" }\n')).toEqual([]);
    expect(check('name: site\nresources:\n  - line: { path: /etc/systemd/system/app.service, line: "b=2" }\n  - systemd-unit: { unit: app.service, template: gridagent/gridagent.service.hbs }\n').filter((p) => p.includes('writes'))).toEqual([
      '4:5: this entry writes /etc/systemd/system/app.service, which resources[0] (line) writes too: each would undo what the other wrote, at every run',
    ]);
  });
});
