import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { checkPlaybookText } from '../../src/playbooks/load.js';
import { referenceProblems, templateFileProblems } from '../../src/templates/check-references.js';
import { CONTEXT_SHAPE, type Shape } from '../../src/templates/context-shape.js';
import { templateContext } from '../../src/templates/render.js';
import { smallGrid } from '../resources/fixtures.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const problemsOf = (text: string, file = 'p.yaml') => checkPlaybookText(file, text).problems;
const shown = (text: string) => problemsOf(text).map((p) => `${p.line}:${p.column}: ${p.message}`);
const inTemplate = (source: string) => referenceProblems(source).map((p) => `${p.line}:${p.column}: ${p.message}`);

describe('template references are checked when a playbook is validated', () => {
  it('a typo in a field: at the string, with the name meant and what the level has', () => {
    const [p, ...rest] = problemsOf('name: p\nresources:\n  - file: { path: /etc/motd, content: "hello {{node.nmae}}" }\n');
    expect(rest).toEqual([]);
    expect(`${p!.file}:${p!.line}:${p!.column}: ${p!.message}`).toBe('p.yaml:3:39: unknown reference {{node.nmae}}: node has no "nmae"; did you mean node.name?');
    expect(p!.hint).toBe('node has: name, address, labels, superPeer, region, subgrid, settings, origins, position');
  });

  it('a typo at the top level', () => {
    const [p] = problemsOf('name: p\nresources:\n  - directory: { path: "/srv/{{nod.name}}" }\n');
    expect(`${p!.line}:${p!.column}: ${p!.message}`).toBe('3:24: unknown reference {{nod.name}}: the template context has no "nod"; did you mean node?');
    expect(p!.hint).toBe('the template context has: grid, region, subgrid, node, agentBundle, qos, agent');
  });

  it('command strings (rendered by substituteCommand) and handlers are checked too', () => {
    expect(
      shown(`name: p
resources:
  - command: { name: c, run: "echo {{node.adress}}", unless: "test -e /x/{{subgrid.nam}}" }
handlers:
  - { name: h, run: "systemctl restart {{node.settings.agent.prot}}" }
`),
    ).toEqual([
      '3:30: unknown reference {{node.adress}}: node has no "adress"; did you mean node.address?',
      '3:62: unknown reference {{subgrid.nam}}: subgrid has no "nam"; did you mean subgrid.name?',
      '5:21: unknown reference {{node.settings.agent.prot}}: node.settings.agent has no "prot"; did you mean node.settings.agent.port?',
    ]);
  });

  it('open-ended maps take any key; a value or a list has no fields', () => {
    expect(inTemplate('{{node.labels.zone}} {{grid.labels.anything}} {{node.settings.kernel.sysctl.[net.core.rmem_max]}} {{node.settings.kernel.params.kvm.nested}} {{subgrid.seeds.[0]}} {{subgrid.seeds.length}}')).toEqual([]);
    expect(inTemplate('{{node.name.first}}\n{{grid.regions.name}}')).toEqual([
      '1:3: unknown reference {{node.name.first}}: node.name is a value, with no fields',
      '2:3: unknown reference {{grid.regions.name}}: grid.regions is a list',
    ]);
  });

  it('helpers are accepted and their arguments checked (a typo there renders as null, without an error)', () => {
    expect(inTemplate('{{json node.labels}} {{jsonLine agent.bootstrap.peerRegions}} {{lookup node.labels "zone"}} {{json (lookup grid.labels "a")}}')).toEqual([]);
    expect(inTemplate('{{json node.nmae}}\n{{jsn node.name}}')).toEqual([
      '1:8: unknown reference {{node.nmae}}: node has no "nmae"; did you mean node.name?',
      '2:3: unknown reference {{jsn}}: "jsn" is not a helper; did you mean json?',
    ]);
  });

  it('inside #each and #with, names are the block\'s: items, block parameters, this, @index, @key, ../ and @root are not flagged', () => {
    const ok = [
      '{{#each node.labels}}{{@key}}={{this}} {{@index}}{{/each}}',
      '{{#each grid.regions}}{{name}} {{this.regionPeerName}} {{../node.name}} {{@root.region.name}}{{else}}none{{/each}}',
      '{{#each grid.regions as |r i|}}{{r.name}} {{i}} {{name}}{{/each}}',
      '{{#each agent.bootstrap.peerRegions as |p|}}{{#each ../subgrid.seeds}}{{p.region}} {{this}} {{../../node.name}}{{/each}}{{/each}}',
      '{{#with node.settings as |s|}}{{qos.gridCpuPercent}} {{s.agent.port}} {{../node.name}}{{/with}}',
      '{{#if node.settings.qos.egressMbit}}{{node.name}}{{else}}{{node.address}}{{/if}}{{#unless node.labels.x}}{{region.name}}{{/unless}}',
      // A section's context depends on the value at render time: only what is certain is checked.
      '{{#node.labels}}{{anything}} {{../whatever}}{{/node.labels}}',
    ];
    for (const source of ok) expect([source, inTemplate(source)]).toEqual([source, []]);
    // What is certain inside a block is still checked.
    expect(inTemplate('{{#each grid.regions}}{{nme}}{{/each}}\n{{#each grid.regions as |r|}}{{r.nam}} {{@root.node.nmae}}{{/each}}\n{{#if node.lables}}x{{/if}}')).toEqual([
      '1:25: unknown reference {{nme}}: an item of grid.regions has no "nme"; did you mean name?',
      '2:32: unknown reference {{r.nam}}: r has no "nam"; did you mean r.name?',
      '2:42: unknown reference {{@root.node.nmae}}: @root.node has no "nmae"; did you mean @root.node.name?',
      '3:7: unknown reference {{node.lables}}: node has no "lables"; did you mean node.labels?',
    ]);
  });

  it('a template file is reported at its own line and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-refs-'));
    try {
      mkdirSync(join(dir, 'templates'));
      writeFileSync(join(dir, 'templates', 'motd.hbs'), '# managed by gridops\nWelcome to {{node.name}}\nregion {{regin.name}}, sub-grid {{subgrid.name}}\n');
      const problems = problemsOf('name: p\nresources:\n  - file: { path: /etc/motd, template: motd.hbs }\n', join(dir, 'p.yaml'));
      expect(problems.map((p) => `${relative(dir, p.file)}:${p.line}:${p.column}: ${p.message}`)).toEqual(['templates/motd.hbs:3:10: unknown reference {{regin.name}}: the template context has no "regin"; did you mean region?']);
      expect(problems[0]!.hint).toContain('grid, region, subgrid, node');
      expect(templateFileProblems(join(dir, 'templates', 'motd.hbs'))).toBe(templateFileProblems(join(dir, 'templates', 'motd.hbs')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every playbook and playbook template gridops ships passes the check", () => {
    const playbooks = [
      ...readdirSync(join(ROOT, 'playbooks')).map((f) => join(ROOT, 'playbooks', f)),
      ...readdirSync(join(ROOT, 'bench/provision')).filter((f) => !f.endsWith('.ansible.yaml')).map((f) => join(ROOT, 'bench/provision', f)),
    ].filter((f) => f.endsWith('.yaml'));
    expect(playbooks.length).toBeGreaterThanOrEqual(6);
    for (const file of playbooks) expect([file, checkPlaybookText(file, readFileSync(file, 'utf8')).problems]).toEqual([file, []]);
    // templates/libvirt/ is rendered by resources with their own values, not with TemplateContext.
    const templates = (readdirSync(join(ROOT, 'templates'), { recursive: true }) as string[]).filter((f) => f.endsWith('.hbs') && !f.startsWith('libvirt/'));
    expect(templates).toEqual(expect.arrayContaining(['node-identity.json.hbs', 'gridagent/config.yaml.hbs', 'qos/grid.slice.hbs', 'bench/motd.hbs']));
    for (const t of templates) expect([t, templateFileProblems(join(ROOT, 'templates', t))]).toEqual([t, []]);
  });

  it('the shape accepts every path of a real context (nothing templates get is flagged)', () => {
    const grid = smallGrid('defaults: { kernel: { modules: [kvm], params: { kvm: { nested: 1 } }, sysctl: { a.b: 1 } }, qos: { gridCpuPercent: 50, gridMemoryMiB: 512, egressMbit: 10 } }');
    const ctx = templateContext(grid, grid.regions[0]!.subgrids[0]!.nodes[0]!);
    const missing: string[] = [];
    const walk = (value: unknown, shape: Shape, at: string): void => {
      if (value === null || typeof value !== 'object' || shape.kind === 'unknown' || shape.kind === 'value') return;
      if (shape.kind === 'list') return (value as unknown[]).forEach((v, i) => walk(v, shape.items, `${at}.${i}`));
      for (const [k, v] of Object.entries(value)) {
        const below = shape.kind === 'map' ? shape.values : shape.fields[k];
        if (!below) missing.push(`${at}.${k}`);
        else walk(v, below, `${at}.${k}`);
      }
    };
    walk(ctx, CONTEXT_SHAPE, '');
    expect(missing).toEqual([]);
  });
});
