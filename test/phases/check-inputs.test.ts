import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../src/errors/index.js';
import { checkRunInputs } from '../../src/phases/check-inputs.js';

/**
 * A run's topology and playbooks are checked together: one ValidationError with every problem of
 * every file. The fixture's topology lacks a node's address and names a playbook with an unknown
 * key; the ad-hoc playbook has an entry of no kind.
 */
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/run-inputs/${name}`, import.meta.url));
const topology = fixture('grid.yaml');
const adHoc = fixture('ad-hoc.yaml');

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
