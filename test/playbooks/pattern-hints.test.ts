import { checkPlaybookText } from '../../src/playbooks/load.js';
import { PLAYBOOK_RESOURCE_KINDS, Playbook } from '../../src/playbooks/schema.js';
import { makeSchemaChecker } from '../../src/topology/schema-check.js';
import { parseSource } from '../../src/topology/source.js';

/**
 * A playbook value that does not fit its pattern says what the field takes, not "contains
 * characters that are not allowed" (which was said of "0999", grid.conf, My-Book, Nginx and foo.txt).
 */
const problems = (text: string) => checkPlaybookText('/pb/site.yaml', text).problems.map((p) => ({ at: `${p.line}:${p.column}`, message: p.message, hint: p.hint }));

describe('a value that does not fit its pattern', () => {
  it('says which value, and what the field takes', () => {
    expect(problems('name: site\nresources:\n  - file: { path: /etc/x, content: a, mode: "0999" }\n')).toEqual([
      { at: '3:45', message: 'mode: "0999" is not allowed here', hint: 'mode must be an octal mode of 3 or 4 digits from 0 to 7, e.g. "0644"' },
    ]);
    expect(problems('name: site\nresources:\n  - systemd-unit: { unit: grid.conf, template: u.hbs }\n')[0]).toEqual({
      at: '3:27',
      message: 'unit: "grid.conf" is not allowed here',
      hint: 'unit must be a systemd unit name ending in .service, .socket, .timer, .slice, .target, .path or .mount, e.g. grid.slice',
    });
    expect(problems('name: My-Book\nresources:\n  - directory: { path: /x }\n')[0]).toMatchObject({ at: '1:7', hint: 'name must be a playbook name: lowercase letters, digits and -' });
    expect(problems('name: site\nresources:\n  - package: { names: [Nginx] }\n')[0]).toMatchObject({ message: 'names[0]: "Nginx" is not allowed here', hint: 'names[0] must be a package name as apt knows it: lowercase letters, digits and + . -, starting with a letter or digit' });
    expect(problems('name: site\nresources:\n  - file: { path: /etc/x, template: foo.txt }\n')[0]).toMatchObject({ message: 'template: "foo.txt" is not allowed here', hint: expect.stringMatching(/^template must be a handlebars file .*ending in \.hbs/) });
  });

  it('every patterned string of the playbook schema says what it takes', () => {
    const unexplained: string[] = [];
    const walk = (schema: unknown, where: string): void => {
      if (Array.isArray(schema)) schema.forEach((s, i) => walk(s, `${where}[${i}]`));
      else if (schema && typeof schema === 'object') {
        const s = schema as { pattern?: string; description?: string };
        if (s.pattern !== undefined && !s.description) unexplained.push(where);
        for (const [k, v] of Object.entries(schema)) walk(v, `${where}.${k}`);
      }
    };
    walk([Playbook, ...PLAYBOOK_RESOURCE_KINDS], 'schema');
    expect(unexplained).toEqual([]);
  });

  it('a pattern with no description: the pattern itself, rather than a guess at what is wrong', () => {
    const check = makeSchemaChecker({ type: 'object', properties: { tag: { type: 'string', pattern: '^[a-z]+$' } } });
    expect(check(parseSource('/x.yaml', 'tag: A1\n').source)).toEqual([expect.objectContaining({ line: 1, column: 6, message: 'tag: "A1" does not match ^[a-z]+$', hint: 'write a value that matches ^[a-z]+$' })]);
  });
});
