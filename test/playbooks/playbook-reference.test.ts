import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError, ValidationError } from '../../src/errors/index.js';
import { loadPlaybook, playbookRef } from '../../src/playbooks/load.js';
import { checkRunInputs } from '../../src/phases/check-inputs.js';
import { gridPlaybooks } from '../../src/phases/workflow-playbooks.js';
import { BUILTIN_PLAYBOOKS_DIR, builtinPlaybooks, fromTopology, playbookTarget, shadowingFile, type PlaybookBase } from '../../src/topology/playbook-reference.js';

/**
 * A playbook reference as an Ansible user reads a playbook argument: with a `/` or ending in
 * .yaml/.yml it is a file; else gridops' own by that name; else a file of that name that exists.
 */
let dir: string;
let base: PlaybookBase;
const SITE = 'name: site\nresources:\n  - directory: { path: /etc/gridops-site }\n';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-pb-ref-'));
  base = { dir, relativeTo: 'the test directory', where: 'in the test directory' };
  writeFileSync(join(dir, 'site.yaml'), SITE);
  writeFileSync(join(dir, 'bare'), SITE);
  writeFileSync(join(dir, 'qos'), SITE);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('playbook references', () => {
  it('a name ending in .yaml or .yml, or with a /, is a file, there or not', () => {
    expect(playbookTarget('site.yaml', base)).toEqual({ file: join(dir, 'site.yaml') });
    expect(playbookTarget('missing.yml', base)).toEqual({ file: join(dir, 'missing.yml') });
    expect(playbookTarget('pb/x', base)).toEqual({ file: join(dir, 'pb/x') });
  });

  it("a bare name is gridops' own, else an existing file of that name, else nothing", () => {
    expect(playbookTarget('node-base', base)).toEqual({ builtin: 'node-base', file: join(BUILTIN_PLAYBOOKS_DIR, 'node-base.yaml') });
    expect(playbookTarget('bare', base)).toEqual({ file: join(dir, 'bare') });
    expect(playbookTarget('site', base)).toEqual({});
  });

  it("a name that is gridops' own and a file runs gridops' own, and the file is named for the warning", () => {
    expect(playbookTarget('qos', base).builtin).toBe('qos');
    expect(shadowingFile('qos', base)).toBe(join(dir, 'qos'));
    expect(shadowingFile('agent', base)).toBeUndefined();
    expect(shadowingFile('./qos', base)).toBeUndefined();
  });

  it('loads `site.yaml` from the base directory, and names it by its absolute path', () => {
    const playbook = loadPlaybook('site.yaml', base);
    expect(playbook.name).toBe('site');
    expect(playbook.ref).toBe(join(dir, 'site.yaml'));
    expect(playbookRef('site.yaml', base)).toBe(join(dir, 'site.yaml'));
    expect(playbookRef('qos', base)).toBe('qos');
  });

  it("an unknown name: gridops' names, and how to give a file (the one meant, when it is there)", () => {
    const err = (() => {
      try {
        loadPlaybook('site', base);
      } catch (e) {
        return e as InputFileError;
      }
      throw new Error('loaded');
    })();
    expect(err).toBeInstanceOf(InputFileError);
    expect(err.message).toBe(`no playbook named site: gridops' own are ${builtinPlaybooks().join(', ')}, and there is no file site in the test directory`);
    expect(err.hint).toBe('did you mean ./site.yaml? (a file is given by its path, relative to the test directory)');
    expect(() => loadPlaybook('qso', base)).toThrow(expect.objectContaining({ hint: 'did you mean qos? a file is given by its path, relative to the test directory, e.g. ./qso.yaml' }));
    // The one did-you-mean threshold (closest-name.ts): a long name may be further off, a short one may not.
    expect(() => loadPlaybook('hypervisr-x', base)).toThrow(expect.objectContaining({ hint: expect.stringMatching(/^did you mean hypervisor\? /) }));
    expect(() => loadPlaybook('zzz', base)).toThrow(expect.objectContaining({ hint: 'a file is given by its path, relative to the test directory, e.g. ./zzz.yaml' }));
  });

  it("gridops' own name written with .yaml, not found: the hint gives the name", () => {
    expect(() => loadPlaybook('agent.yaml', base)).toThrow(expect.objectContaining({ message: `cannot read playbook ${join(dir, 'agent.yaml')}`, hint: "check the path (relative to the test directory); gridops' own agent is named without .yaml: agent" }));
  });

  it("the topology's references resolve from the topology file; a built-in name shadowed by a file there is refused, with how to name the file", async () => {
    const topology = join(dir, 'grid.yaml');
    const grid = (playbooks: string) => writeFileSync(topology, `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nplaybooks: ${playbooks}\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.1.1 }\n          - { name: n2, address: 10.0.1.2 }\n          - { name: n3, address: 10.0.1.3 }\n`);
    // Two playbooks of one node's run may not manage one thing: bare gets its own directory.
    writeFileSync(join(dir, 'bare'), SITE.replace('gridops-site', 'gridops-bare'));
    grid('[site.yaml, bare]');
    const { grid: checked, warnings } = await checkRunInputs(topology);
    // The grid keeps them as written (it may be cached); the run resolves them.
    expect(checked.playbooks.map((p) => p.ref)).toEqual(['site.yaml', 'bare']);
    expect(gridPlaybooks(checked, checked.regions[0]!.subgrids[0]!.nodes[0]!).slice(-2)).toEqual([join(dir, 'site.yaml'), join(dir, 'bare')]);
    expect(warnings).toEqual([]);
    grid('[site.yaml, bare, qos]');
    const err = (await checkRunInputs(topology).catch((e: unknown) => e)) as ValidationError;
    expect(err.problems).toEqual([expect.objectContaining({ line: 4, column: 30, message: expect.stringMatching(/^qos runs in the grid's workflow already/), hint: 'remove it from playbooks; to run the file beside the topology, write ./qos' })]);
    expect(fromTopology(topology).dir).toBe(dir);
  });
});
