import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError } from '../../src/errors/index.js';
import { loadPlan, savePlan } from '../../src/plan/plan-file.js';
import type { Plan } from '../../src/plan/plan.js';
import { savedPlan } from '../cli/saved-plan-fixture.js';

/**
 * A saved plan damaged or edited by hand is refused when it is read, naming the file and its first
 * bad field: before, only `format` was checked, and `show` or `apply --plan` (after taking the lock
 * and connecting to every host) died on a raw TypeError.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-plan-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(content: unknown): Promise<InputFileError> {
  const file = join(dir, 'plan.json');
  writeFileSync(file, JSON.stringify(content));
  const err = await loadPlan(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputFileError);
  expect((err as InputFileError).message).toContain(file);
  expect((err as InputFileError).hint).toContain('gridops plan TOPOLOGY --out');
  return err as InputFileError;
}

const host = { host: 'n1', address: '10.0.0.1', playbooks: ['node-base'], notes: [], handlers: ['reload'], changes: [{ kind: 'sysctl', id: 'sysctl a.b', action: 'update', summary: 'set a.b', key: 'a.b', value: '1', steps: ['set'], fields: [{ name: 'value', before: '0', after: '1' }], notify: ['reload'] }] };
const plan = savedPlan([host as Plan['hosts'][number]]);

describe('loadPlan checks the shape of a saved plan', () => {
  it('reads back a plan that savePlan wrote', async () => {
    const file = join(dir, 'good.json');
    await savePlan(file, { ...plan, limit: ['n1'] });
    expect(await loadPlan(file)).toEqual({ ...plan, limit: ['n1'] });
  });

  it('names a host without its fields', async () => {
    const err = await refusal({ ...plan, hosts: [{}] });
    expect(err.message).toMatch(/hosts\[0\]\.host is missing \(a string\)/);
  });

  it('names the first bad field of the topology, the playbooks and the limit', async () => {
    expect((await refusal({ ...plan, topology: { file: 't.yaml', grid: 'g' } })).message).toMatch(/topology\.sourceHash is missing \(a string\)/);
    expect((await refusal({ format: plan.format })).message).toMatch(/createdAt is missing \(a string\)|topology is missing \(an object\)/);
    expect((await refusal({ ...plan, playbooks: 'node-base' })).message).toMatch(/playbooks must be a list, not "node-base"/);
    expect((await refusal({ ...plan, limit: [1] })).message).toMatch(/limit\[0\] must be a string, not 1/);
  });

  it("names a change's missing id, unknown kind, and bad fields", async () => {
    const change = host.changes[0]!;
    expect((await refusal({ ...plan, hosts: [{ ...host, changes: [{ ...change, id: undefined }] }] })).message).toMatch(/hosts\[0\]\.changes\[0\]\.id is missing \(a string\)/);
    expect((await refusal({ ...plan, hosts: [{ ...host, changes: [{ ...change, kind: 'fiel' }] }] })).message).toMatch(/hosts\[0\]\.changes\[0\]\.kind must be one of .*"file".*, not "fiel"/);
    expect((await refusal({ ...plan, hosts: [{ ...host, changes: [{ ...change, fields: [{ name: 'value' }] }] }] })).message).toMatch(/hosts\[0\]\.changes\[0\]\.fields\[0\]\.before is missing \(a string or null\)/);
    expect((await refusal({ ...plan, hosts: [{ ...host, handlers: null }] })).message).toMatch(/hosts\[0\]\.handlers must be a list, not null/);
  });

  it('says which file is not a plan at all, and why, in gridops words', async () => {
    for (const content of [null, [], {}]) expect((await refusal(content)).message).toMatch(/is not a gridops plan/);
    const file = join(dir, 'plan.json');
    expect((await refusal({})).message).toBe(`${file} is not a gridops plan: it has no format field`);
    expect((await refusal([])).message).toBe(`${file} is not a gridops plan: it holds a list, not an object with a format field`);
    expect((await refusal({ ...plan, format: 'terraform' })).message).toBe(`${file} is not a gridops plan: its format is "terraform", not "${plan.format}"`);
  });

  it('says where text that is not JSON goes wrong, on one line, with a hint that names the plan file', async () => {
    const cases: Array<[string, string]> = [
      ['not json\n', 'line 1, column 2: unexpected "o"'],
      ['{\n  "a": 1,\n}\n', 'line 3, column 1: unexpected "}"'],
      ['{"a":\n tru}', 'line 2, column 5: unexpected "}"'],
      ['', 'line 1, column 1: unexpected end of file'],
      ['{"a": "b"', 'line 1, column 10: unexpected end of file'],
      ['{"a": 1} x', 'line 1, column 10: unexpected "x"'],
    ];
    for (const [text, where] of cases) {
      const file = join(dir, 'text.json');
      writeFileSync(file, text);
      const err = await loadPlan(file, 'grid.yaml').then(() => undefined, (e: unknown) => e as InputFileError);
      expect(err).toBeInstanceOf(InputFileError);
      expect(err!.message).toBe(`${file} is not JSON (${where})`);
      expect(err!.message).not.toContain('\n');
      expect(err!.hint).toBe(`make one with \`gridops plan grid.yaml --out ${file}\``);
    }
  });

  it("the hint's gridops plan carries the run's --state-dir, quoted, for every refusal", async () => {
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{');
    const incomplete = join(dir, 'incomplete.json');
    writeFileSync(incomplete, JSON.stringify({ ...plan, hosts: [{ ...host, handlers: null }] }));
    for (const file of [notJson, incomplete, join(dir, 'missing.json')]) {
      const err = await loadPlan(file, 'grid.yaml', { stateDir: '/srv/grid state' }).then(() => undefined, (e: unknown) => e as InputFileError);
      expect(err!.hint).toContain(`\`gridops plan grid.yaml --state-dir '/srv/grid state' --out ${file}\``);
    }
  });

  it("the hint's gridops plan carries the run's --ask-become-pass", async () => {
    const err = await loadPlan(join(dir, 'missing.json'), 'grid.yaml', { askBecomePass: true }).then(() => undefined, (e: unknown) => e as InputFileError);
    expect(err!.hint).toContain(`\`gridops plan grid.yaml --ask-become-pass --out ${join(dir, 'missing.json')}\``);
  });
});
