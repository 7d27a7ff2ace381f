import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Problem } from '../../src/errors/problem.js';
import { gridKeyFileProblems } from '../../src/phases/grid-key-file.js';
import { sandboxImageProblems } from '../../src/phases/sandbox-images.js';
import { loadWorkflow, type Workflow } from '../../src/phases/workflow-playbooks.js';
import type { LoadedPlaybook } from '../../src/playbooks/load.js';
import { checkTopologyText, loadTopology } from '../../src/topology/load.js';
import { allNodes, type Grid } from '../../src/topology/model.js';

/**
 * What plan refused only after connecting (load-secrets, instantiate): the runs that read the key
 * or the image refuse it before connecting, at the line that sets it. Runs that read neither
 * (reset, state list, status, inventory, graph, `--playbook qos`) load the topology all the same.
 */
const grid = (defaults: string, n1: string, n2: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults: { ${defaults} }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1${n1} }
          - { name: n2, address: 10.0.0.2${n2} }
`;

const dir = mkdtempSync(join(tmpdir(), 'gridops-one-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'g.yaml');
const loaded = async (text: string): Promise<Grid> => (writeFileSync(file, text), loadTopology(file));
/** Problems as FILE:LINE:COLUMN: message (hint); none: []. */
const shown = (problems: readonly Problem[]): string[] => problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} (${p.hint})`);
const at = (line: number, column: number) => `^${file.replace(/[.\\/]/g, '\\$&')}:${line}:${column}: `;
/** The run's workflow: the grid's own, or `--playbook` these. */
const workflowOf = (g: Grid, playbooks?: string[]) => loadWorkflow(g, allNodes(g), playbooks, new Map());
/** A run whose playbook places the grid key, as the agent playbook does (that one needs the built gridagent to load). */
const placingKey = (g: Grid): Workflow => {
  const playbook = { ref: 'agent', name: 'agent', resources: [{ file: { path: '/etc/gridagent/grid.key', secret: 'grid-key' } }] } as unknown as LoadedPlaybook;
  return { byNode: new Map(allNodes(g).map((n) => [n.name, [playbook]])), refs: ['agent'], adHoc: false };
};

describe('a grid has one agent.keyFile', () => {
  it('a second value is refused where it is written, naming the first and its line, by a run that places the key', async () => {
    const g = await loaded(grid('agent: { keyFile: a.key }', '', ', agent: { keyFile: b.key }'));
    expect(shown(gridKeyFileProblems(g, placingKey(g)))).toEqual([
      expect.stringMatching(new RegExp(`${at(11, 62)}agent\\.keyFile "b\\.key" is not the grid's key file "a\\.key" \\(line 4\\): a grid has one key.* \\(set agent\\.keyFile once, under defaults`)),
    ]);
    expect(shown(gridKeyFileProblems(g, undefined))).toHaveLength(1);
  });

  it('a run that places no key (reset, --playbook qos) and the commands that only read the topology are not held up by it', async () => {
    const text = grid('agent: { keyFile: a.key }', '', ', agent: { keyFile: b.key }');
    expect(checkTopologyText('g.yaml', text).problems).toEqual([]);
    const g = await loaded(text);
    expect(shown(gridKeyFileProblems(g, workflowOf(g, ['qos'])))).toEqual([]);
    expect(shown(gridKeyFileProblems(g, workflowOf(g, ['reset'])))).toEqual([]);
  });

  it('the same file written twice, even spelled otherwise, is one key', async () => {
    const g = await loaded(grid('agent: { keyFile: keys/a.key }', ', agent: { keyFile: ./keys/a.key }', ''));
    expect(shown(gridKeyFileProblems(g, placingKey(g)))).toEqual([]);
    expect(shown(gridKeyFileProblems(g, undefined))).toEqual([]);
  });
});

describe('hypervisor.enabled needs hypervisor.sandbox.image', () => {
  it('enabled with no image is refused at the line that enables it, once per place, by a run that reads the image', async () => {
    const g = await loaded(grid('hypervisor: { enabled: true }', '', ''));
    expect(shown(sandboxImageProblems(g, allNodes(g)))).toEqual([
      expect.stringMatching(new RegExp(`${at(4, 36)}hypervisor\\.enabled is true for n1 and n2, but no hypervisor\\.sandbox\\.image is set .*\\(name a bootable disk image.*gridops lab image`)),
    ]);
    expect(shown(sandboxImageProblems(g, allNodes(g), workflowOf(g, ['hypervisor'])))).toHaveLength(1);
    const n2 = await loaded(grid('agent: { port: 7946 }', '', ', hypervisor: { enabled: true }'));
    expect(shown(sandboxImageProblems(n2, allNodes(n2)))).toEqual([expect.stringMatching(new RegExp(`${at(11, 67)}hypervisor\\.enabled is true for n2, but`))]);
  });

  it('a run that reads no image (reset, --playbook qos) and the commands that only read the topology are not held up by it', async () => {
    const text = grid('hypervisor: { enabled: true }', '', '');
    expect(checkTopologyText('g.yaml', text).problems).toEqual([]);
    const g = await loaded(text);
    expect(shown(sandboxImageProblems(g, allNodes(g), workflowOf(g, ['qos'])))).toEqual([]);
    expect(shown(sandboxImageProblems(g, allNodes(g), workflowOf(g, ['reset'])))).toEqual([]);
  });

  it('an image set anywhere above the node is enough; disabled needs none', async () => {
    writeFileSync(join(dir, 'x.img'), 'x');
    const g = await loaded(grid('hypervisor: { sandbox: { image: x.img } }', ', hypervisor: { enabled: true }', ''));
    expect(shown(sandboxImageProblems(g, allNodes(g)))).toEqual([]);
    const off = await loaded(grid('hypervisor: { enabled: false }', '', ''));
    expect(shown(sandboxImageProblems(off, allNodes(off)))).toEqual([]);
  });
});
