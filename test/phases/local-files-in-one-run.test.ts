import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../src/errors/index.js';
import { checkRunInputs } from '../../src/phases/check-inputs.js';
import { checkLocalFiles } from '../../src/phases/local-files.js';
import { allNodes } from '../../src/topology/model.js';
import { selectNodes } from '../../src/phases/select-nodes.js';

/**
 * The key file and the sandbox images were checked only once the topology had no problem, and
 * the key before the images: a topology with one problem of each kind took three runs of
 * validate (or plan) to show them. Now one run says them all.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-local-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const topology = (n3: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults:
  agent: { keyFile: a.key }
regions:
  - name: r1
    hypervisor: { enabled: true }
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 192.0.2.1, agent: { keyFile: b.key } }
          - { name: n2, address: 192.0.2.2, hypervisor: { sandbox: { image: missing.img } } }
          - { name: n3, address: 192.0.2.3${n3} }
`;
const write = (text: string) => {
  const file = join(dir, `g${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
};
const refusal = async (run: () => unknown) => {
  const err = await Promise.resolve().then(run).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
};

describe('the key file and the sandbox images, with every other problem', () => {
  it('a topology problem, a second key file, a hypervisor without image and a missing image: one error', async () => {
    const file = write(topology(', colour: blue'));
    expect(await refusal(() => checkRunInputs(file, { ownPlaybooks: 'always' }))).toEqual([
      '8:28: hypervisor.enabled is true for n1, but no hypervisor.sandbox.image is set for the sandbox VM',
      expect.stringMatching(/^12:63: agent\.keyFile "b\.key" is not the grid's key file "a\.key" \(line 5\)/),
      expect.stringMatching(/^13:77: hypervisor\.sandbox\.image "missing\.img" does not exist on this machine/),
      '14:45: unknown key "colour" in regions[0].subgrids[0].nodes[2]',
    ]);
  });

  it('with no topology problem, the key file and the images are refused together', async () => {
    const file = write(topology(''));
    const { grid } = await checkRunInputs(file);
    const problems = await refusal(() => checkLocalFiles(grid, allNodes(grid)));
    expect(problems.map((p) => p.split(':').slice(0, 2).join(':'))).toEqual(['8:28', '12:63', '13:77']);
  });

  it("plan's --limit: only the images of the nodes it targets", async () => {
    const file = write(topology(', colour: blue'));
    const problems = await refusal(() => checkRunInputs(file, { targets: (g) => selectNodes(g, ['n1']) }));
    expect(problems.map((p) => p.split(':').slice(0, 2).join(':'))).toEqual(['8:28', '12:63', '14:45']);
  });
});
