import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../src/errors/index.js';
import { checkRunInputs } from '../../src/phases/check-inputs.js';

/** A run's topology and playbooks are checked together: one ValidationError with every problem of every file. */
let dir: string;
let topology: string;
let adHoc: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-inputs-'));
  topology = join(dir, 'grid.yaml');
  adHoc = join(dir, 'ad-hoc.yaml');
  writeFileSync(join(dir, 'own.yaml'), 'name: own\nresources:\n  - directory: { path: /srv/x, mdoe: "0755" }\n');
  writeFileSync(adHoc, 'name: ad-hoc\nresources:\n  - kind: nosuch\n    path: /x\n');
  writeFileSync(
    topology,
    'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nplaybooks: [./own.yaml]\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1 }\n',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = async (options: Parameters<typeof checkRunInputs>[1]) => {
  const err = await checkRunInputs(topology, options).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
};

describe('checkRunInputs', () => {
  it("validate: the topology's problems, its own playbooks' and every --playbook's in one error, file by file", async () => {
    const err = await failure({ adHoc: [adHoc], ownPlaybooks: 'always' });
    expect(err.problems.map((p) => `${p.file}:${p.line}:${p.column}`)).toEqual([`${topology}:4:13`, `${topology}:10:13`, `${adHoc}:3:5`]);
    expect(err.problems[0]!.message).toMatch(/own\.yaml has 1 problem: .*unknown key "mdoe"/);
    expect(err.message).toBe(`${topology}, ${adHoc}: 3 problems found`);
    expect(err.hint).toBe(`fix the lines above, then run \`gridops validate ${topology} --playbook ${adHoc}\` again`);
  });

  it("a run with --playbook does not run the topology's own playbooks, so it does not check them", async () => {
    const err = await failure({ adHoc: [adHoc] });
    expect(err.problems.map((p) => `${p.file}:${p.line}`)).toEqual([`${topology}:10`, `${adHoc}:3`]);
  });
});
