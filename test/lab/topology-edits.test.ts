import { existsSync, mkdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../../src/errors/index.js';
import { labDown, labGrow, labUp } from '../../src/lab/lab.js';
import { planLab } from '../../src/lab/plan.js';
import { checkTopologyNotEdited, topologyDigest } from '../../src/lab/topology-edits.js';
import type { MachineFacts } from '../../src/lab/preflight.js';
import { writeLabJson } from '../support/lab-json.js';

/**
 * `lab grow` rewrote topology.yaml from the lab's plan, which never shrinks: a node the user had
 * decommissioned (as the grow refusal advises) came back, and hand edits were undone (review day2 3).
 * The lab records the digest of the text it last wrote and never overwrites another.
 */
describe("the lab's topology, edited since the lab wrote it", () => {
  let dir: string;
  let file: string;
  const written = 'apiVersion: gridops/v1\nkind: Grid\n# node-01, node-02\n';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-lab-topology-'));
    file = join(dir, 'topology.yaml');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is refused, naming the file and what to do; the text the lab wrote, or no file, is not', () => {
    writeFileSync(file, written);
    expect(() => checkTopologyNotEdited(file, topologyDigest(written), dir, 'grow')).not.toThrow();
    writeFileSync(file, written.replace('node-01, ', ''));
    let err: unknown;
    try {
      checkTopologyNotEdited(file, topologyDigest(written), dir, 'grow');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).message).toBe(`${file} was edited since the lab wrote it: gridops lab grow would overwrite it with every node the lab runs (one removed by hand would come back); nothing was changed`);
    expect((err as LabError).hint).toBe(
      `move it aside (mv ${file} ${file}.edited) and run \`gridops lab grow --dir ${dir}\` again with the same totals: the lab writes a fresh topology.yaml listing every node it runs; then add the new nodes to your file by hand, or carry your edits over to the fresh one`,
    );
    // Moved aside: nothing to lose.
    rmSync(file);
    expect(() => checkTopologyNotEdited(file, topologyDigest(written), dir, 'grow')).not.toThrow();
  });

  it('cannot be told for a lab recorded before the digest: not refused', () => {
    writeFileSync(file, 'anything\n');
    expect(() => checkTopologyNotEdited(file, undefined, dir, 'up')).not.toThrow();
  });

  it('is told by content: sha256 of the text', () => {
    expect(topologyDigest('a\n')).toBe('87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7');
    expect(topologyDigest('a\n')).not.toBe(topologyDigest('a\n\n'));
  });

  it('refuses `lab grow` before it grows anything: lab.json and the file stay as they are', async () => {
    const plan = planLab({ kind: 'container', nodes: 2, subgrids: 1, regions: 1 }, 3);
    const runDir = join(dir, 'nodes');
    const state = writeLabJson(dir, plan, { runDir, nodes: plan.nodes.map((n) => ({ ...n, dir: join(runDir, n.name) })), topologySha256: topologyDigest(written) });
    const edited = written.replace('node-01, ', '');
    writeFileSync(file, edited);
    // Not a machine a lab can run on: should the check not stop the grow, its preflight does, before anything is built.
    const facts = { platform: 'darwin' } as unknown as MachineFacts;
    const err = await labGrow({ dir, nodes: 3, subgrids: 1, regions: 1 }, { facts }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).message).toMatch(/was edited since the lab wrote it/);
    expect(JSON.parse(readFileSync(state.files.state, 'utf8')).plan.shape.nodes).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(edited);
  });

  /**
   * `lab down` removed topology.yaml unconditionally, hand edits and all, while up and grow refuse
   * to overwrite an edited one. Run here on a slot another directory holds (a reboot emptied /run
   * and another lab took it), where down removes only this directory's files and sweeps nothing.
   */
  describe('`lab down`', () => {
    const SLOT = 15;
    const root = { platform: 'linux', uid: 0, has: () => true, v1Controllers: [], memAvailableMiB: 0, devices: { tun: true } } as MachineFacts;
    const saved = process.env.GRIDOPS_LAB_RUN_ROOT;
    let lines: string[];
    const progress = { step: (l: string) => lines.push(l), detail: () => {}, done: () => {} };
    beforeEach(() => {
      lines = [];
      const run = join(dir, 'run');
      mkdirSync(join(run, 'slots'), { recursive: true });
      process.env.GRIDOPS_LAB_RUN_ROOT = run;
      writeFileSync(join(run, 'slots', String(SLOT)), `${join(dir, 'other-lab')}\n`);
      const plan = planLab({ kind: 'container', nodes: 1, subgrids: 1, regions: 1 }, SLOT);
      writeLabJson(dir, plan, { topologySha256: topologyDigest(written) });
    });
    afterEach(() => {
      if (saved === undefined) delete process.env.GRIDOPS_LAB_RUN_ROOT;
      else process.env.GRIDOPS_LAB_RUN_ROOT = saved;
    });

    it('keeps an edited topology.yaml, and says so in one line naming it', async () => {
      const edited = written.replace('node-01, ', '');
      writeFileSync(file, edited);
      const r = await labDown(dir, { facts: root, progress });
      expect(readFileSync(file, 'utf8')).toBe(edited);
      expect(r.keptTopology).toBe(file);
      expect(lines.filter((l) => l.includes(file))).toEqual([`kept ${file}: it was edited since the lab wrote it (the lab's other files were removed)`]);
      expect(existsSync(join(dir, 'lab.json'))).toBe(false);
    });

    /**
     * Down removed lab.json with the digest, so the next `up` had nothing to compare the kept file
     * with and wrote a fresh topology over the user's edits (review lab 1).
     */
    it('keeps it from the next `lab up` too: up refuses a topology.yaml no lab.json records, changing nothing', async () => {
      const edited = written.replace('node-01, ', '');
      writeFileSync(file, edited);
      await labDown(dir, { facts: root, progress });
      // Not a machine a lab can run on: should the check not stop the up, its preflight does, before anything is built.
      const facts = { platform: 'darwin' } as unknown as MachineFacts;
      const err = await labUp({ dir, kind: 'container', nodes: 1, subgrids: 1, regions: 1 }, { facts }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LabError);
      expect((err as LabError).message).toBe(`${file} exists but no lab.json in ${dir} records it (one lab down kept, or written by hand): gridops lab up would overwrite it with every node the lab runs; nothing was changed`);
      expect((err as LabError).hint).toBe(
        `move it aside (mv ${file} ${file}.edited) and run \`gridops lab up --dir ${dir}\` again: the lab writes a fresh topology.yaml listing every node it runs; then carry your edits over to the fresh one`,
      );
      expect(readFileSync(file, 'utf8')).toBe(edited);
      expect(existsSync(join(dir, 'lab.json'))).toBe(false);
    });

    it('removes the topology the lab wrote, as before', async () => {
      writeFileSync(file, written);
      const r = await labDown(dir, { facts: root, progress });
      expect(existsSync(file)).toBe(false);
      expect(r.keptTopology).toBeUndefined();
    });
  });
});
