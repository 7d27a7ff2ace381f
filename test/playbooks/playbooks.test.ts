import { execFileSync } from 'node:child_process';
import { checkPlaybookText, loadPlaybook } from '../../src/playbooks/load.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import Handlebars from 'handlebars';
import { substitute, substituteCommand, templateContext } from '../../src/templates/render.js';
import { smallGrid } from '../resources/fixtures.js';

const problemsOf = (text: string) => checkPlaybookText('p.yaml', text).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);

describe('playbooks', () => {
  it('node-base loads and gives each node its modules, directories and identity file', () => {
    const grid = smallGrid('defaults: { kernel: { modules: [kvm, tun] } }');
    const node = grid.regions[0]!.subgrids[0]!.nodes[0]!;
    const { resources } = instantiate(loadPlaybook('node-base'), templateContext(grid, node));
    expect(resources.map((r) => r.id)).toEqual(['kernel-module kvm', 'kernel-module tun', 'directory /etc/gridops', 'directory /var/lib/gridops', 'file /etc/gridops/node.json']);
  });

  it('reports problems with positions: unknown kind, unknown key, logic in strings, missing template', () => {
    const problems = problemsOf(`name: p
resources:
  - fiel: { path: /x }
  - file: { path: /y, contnet: a }
  - file: { path: "/{{#if node.name}}z{{/if}}" }
  - file: { path: /w, template: nope.hbs }
`);
    expect(problems).toEqual([
      '3:5: unknown resource kind "fiel"; did you mean "file"?',
      '4:23: unknown key "contnet" in resources[1].file; did you mean "content"?',
      '5:11: a file needs exactly one of content, template, source or secret (found none)',
      '5:19: only plain {{path}} substitution is allowed in playbook strings (no helpers, blocks or {{{ }}})',
      '6:33: template nope.hbs not found in templates/',
    ]);
  });

  it('command substitutions are quoted: a hostile value is one literal word', () => {
    const grid = smallGrid();
    const node = grid.regions[0]!.subgrids[0]!.nodes[0]!;
    const command = substituteCommand('printf %s {{node.labels.evil}}', templateContext(grid, node));
    expect(execFileSync('sh', ['-c', command], { encoding: 'utf8' })).toBe(node.labels.evil);
  });

  it('a string without {{ is its own rendering, in text and in commands, as handlebars renders it', () => {
    const grid = smallGrid();
    const node = grid.regions[0]!.subgrids[0]!.nodes[0]!;
    const ctx = templateContext(grid, node);
    const literals = ['/etc/gridops-bench.conf', '^managed=', 'a }} b \\ { c & <d> "e"', "touch '/var/tmp/x y' && echo $HOME", '', '{', '}}', '\\', '\\{', '{ {', '\\\\}}', '{}{}', 'x\\\\{y'];
    for (const literal of literals) {
      // What handlebars itself makes of it, with the options gridops compiles with.
      const byHandlebars = Handlebars.compile(literal, { strict: true, noEscape: true })(ctx);
      expect(byHandlebars).toBe(literal);
      expect(substitute(literal, ctx)).toBe(byHandlebars);
      expect(substituteCommand(literal, ctx)).toBe(Handlebars.compile(literal, { strict: true })(ctx));
    }
    // One {{ makes it a template again: substituted, and handlebars' own escape still applies.
    expect(substitute('at {{node.name}}', ctx)).toBe(`at ${node.name}`);
    expect(substitute('\\{{node.name}}', ctx)).toBe('{{node.name}}');
  });

  it("the grid's metadata.labels reach templates as grid.labels (they were accepted and dropped)", async () => {
    const { checkTopologyText } = await import('../../src/topology/load.js');
    const text = 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g, labels: { owner: "ops team", tier: gold } }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes: [{ name: n1, address: 10.0.0.1 }]\n';
    const { grid } = checkTopologyText('t.yaml', text);
    const node = grid!.regions[0]!.subgrids[0]!.nodes[0]!;
    expect(substitute('{{grid.labels.owner}}/{{grid.labels.tier}}', templateContext(grid!, node))).toBe('ops team/gold');
    // Strict, as every substitution: a label the grid does not have is an error, not an empty string.
    expect(() => substitute('{{grid.labels.owner}}', templateContext(smallGrid(), node))).toThrow(/"owner" not defined/);
  });
});
