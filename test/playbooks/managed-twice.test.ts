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
      "5:5: this entry manages file /etc/x, which resources[0] manages already: a node's playbooks may manage each thing once",
    ]);
  });

  it('a path known per node only is the planner\'s to compare; different things pass', () => {
    expect(check('name: site\nresources:\n  - file: { path: "/etc/{{node.name}}", content: a }\n  - file: { path: "/etc/{{node.name}}", content: b }\n')).toEqual([]);
    expect(check('name: site\nresources:\n  - command: { name: a, run: "true" }\n  - command: { name: b, run: "true" }\n  - sandbox-egress: {}\n  - sandbox-egress: {}\n')).toEqual([]);
  });
});
