import { checkPlaybookText } from '../../src/playbooks/load.js';

/**
 * What a first-time user of playbooks is told: playbook advice for a playbook (not a topology's),
 * gridops' words for a list too short (not ajv's), and a quoted form that keeps what they wrote.
 */
const problems = (text: string) => checkPlaybookText('/pb/site.yaml', text).problems.map((p) => ({ at: `${p.line}:${p.column}`, message: p.message, hint: p.hint }));

describe('the hints of a playbook', () => {
  it('an empty playbook is told what a playbook starts with, and following that literally validates', () => {
    const [empty, ...more] = problems('');
    expect(more).toEqual([]);
    expect(empty!.message).toBe('the file must be a YAML mapping, not empty');
    expect(empty!.hint).not.toMatch(/apiVersion|kind: Grid|examples\/small/);
    expect(empty!.hint).toMatch(/^start the file with `name: site` and `resources:`.*see gridops' own playbooks\/node-base\.yaml$/);
    const [name, resources] = [...empty!.hint!.matchAll(/`(name: [^`]+|resources: \[[^`]+)`/g)].map((m) => m[1]!);
    expect(checkPlaybookText('/pb/site.yaml', `${name}\n${resources}\n`).problems).toEqual([]);
    // An Ansible play list is not a mapping either: the same advice.
    expect(problems('- hosts: all\n  tasks: []\n')[0]!.hint).toBe(empty!.hint);
  });

  it('an empty resources list is said in gridops words, at the list, with what to write', () => {
    expect(problems('name: site\nresources: []\n')).toEqual([
      { at: '2:12', message: 'resources is an empty list; it needs at least 1 entry', hint: 'list at least 1 entry; resources: checked entry by entry against the kind named by its key' },
    ]);
  });

  it('no ajv wording reaches the user for a list or string of the wrong length', () => {
    const long = 'x'.repeat(4097);
    const found = [
      ...problems('name: site\nresources:\n  - package: { names: [] }\n  - absent-paths: { paths: [] }\n'),
      ...problems(`name: site\nresources:\n  - file: { path: /etc/x, content: ${long} }\n`),
    ];
    expect(found.map((p) => p.message)).toEqual(['names is an empty list; it needs at least 1 entry', 'paths is an empty list; it needs at least 1 entry', 'content is 4097 characters long, more than the 4096 allowed']);
    expect(found.map((p) => p.hint)).toEqual([expect.stringMatching(/^list at least 1 entry(;|$)/), expect.stringMatching(/^list at least 1 entry(;|$)/), expect.stringMatching(/^write at most 4096 characters(;|$)/)]);
  });

  it('a string is as long as its characters, as ajv counts them: an emoji is one, not two UTF-16 units', () => {
    const found = problems(`name: site\nresources:\n  - file: { path: /etc/x, content: "${'\u{1F600}'.repeat(4097)}" }\n`);
    expect(found.map((p) => p.message)).toEqual(['content is 4097 characters long, more than the 4096 allowed']);
    expect(problems(`name: site\nresources:\n  - file: { path: /etc/x, content: "${'\u{1F600}'.repeat(4096)}" }\n`)).toEqual([]);
  });

  it('an unquoted mode of four digits is told to quote the four digits written, not the number YAML read', () => {
    const [mode, ...more] = problems('name: site\nresources:\n  - file: { path: /etc/x, content: hi, mode: 0644 }\n');
    expect(more).toEqual([]);
    expect(mode).toEqual({ at: '3:46', message: 'mode must be a string, not an integer', hint: 'quote it: mode: "0644" (YAML 1.2 reads 0644 as the number 644); mode: an octal mode of 3 or 4 digits from 0 to 7, e.g. "0644"' });
    expect(problems('name: site\nresources:\n  - file: { path: /etc/x, content: hi, mode: "0644" }\n')).toEqual([]);
    // Written as YAML reads it back, no word on how YAML reads it.
    expect(problems('name: site\nresources:\n  - directory: { path: /x, mode: 755 }\n')[0]!.hint).toMatch(/^quote it: mode: "755"; /);
  });

  it('a single value where the handlers list belongs shows a list of handlers with their required keys', () => {
    expect(problems('name: site\nresources:\n  - directory: { path: /x }\nhandlers: restart\n')[0]!.hint).toBe('write it as a list of mappings, each with name and run, e.g. handlers: [{ name: restart, run: ... }], each ... replaced by its value');
  });
});
