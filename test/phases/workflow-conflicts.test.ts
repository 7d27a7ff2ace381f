import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, UsageError, ValidationError } from '../../src/errors/index.js';
import { checkRunInputs, type InputOptions } from '../../src/phases/check-inputs.js';

/**
 * What the planner refuses on every host, refused with the run's inputs, before any host is
 * touched (validate, plan, apply): a playbook listed twice in a node's workflow, gridops' own
 * playbooks named in the topology's `playbooks`, two entries of a node's playbooks that manage the
 * same thing, and a `notify` that names no handler of the run.
 */
let dir: string;
let topology: string;
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const grid = (playbooks: string, defaults = '') =>
  write('grid.yaml', `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\n${defaults}playbooks: ${playbooks}\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.1.1 }\n          - { name: n2, address: 10.0.1.2 }\n          - { name: n3, address: 10.0.1.3 }\n`);
const failure = async (options: InputOptions = {}) => {
  const err = await checkRunInputs(topology, options).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
};
const shown = (err: ValidationError) => err.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-workflow-conflicts-'));
  write('site.yaml', 'name: site\nresources:\n  - directory: { path: /etc/gridops-site }\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the topology's playbooks", () => {
  it("a playbook of the grid's workflow, listed again, is refused at its entry", async () => {
    topology = grid('[site.yaml, qos, node-base]');
    const err = await failure({ ownPlaybooks: 'always' });
    expect(shown(err)).toEqual([
      `${topology}:4:24: qos runs in the grid's workflow already: node-base, hypervisor (where hypervisor.enabled), qos, agent, then the topology's playbooks`,
      `${topology}:4:29: node-base runs in the grid's workflow already: node-base, hypervisor (where hypervisor.enabled), qos, agent, then the topology's playbooks`,
    ]);
    expect(err.problems[0]!.hint).toBe('remove it from playbooks');
  });

  it("gridops' own playbooks for its other commands are refused: only gridops runs them", async () => {
    topology = grid('[reset, site.yaml, agent-rename, hypervisor-off, grid-network-rename]');
    const err = await failure();
    expect(err.problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [4, 13, "reset is gridops' own playbook for `gridops reset`, run by gridops itself only"],
      [4, 31, "agent-rename is gridops' own playbook for a renamed node, run by gridops itself only"],
      [4, 45, "hypervisor-off is gridops' own playbook for a node whose hypervisor.enabled is turned off, run by gridops itself only"],
      [4, 61, "grid-network-rename is gridops' own playbook for a renamed hypervisor.sandbox.network, run by gridops itself only"],
    ]);
    expect(err.problems[0]!.hint).toBe('remove it from playbooks');
  });

  it('one playbook listed twice, however written, is refused at the second entry', async () => {
    topology = grid('[site.yaml, ./site.yaml]');
    expect(shown(await failure())).toEqual([`${topology}:4:24: playbook ${join(dir, 'site.yaml')} is listed twice (also at line 4, column 13)`]);
  });

  it("a file named as gridops' own playbook: the hint says how to name the file", async () => {
    write('qos', 'name: myqos\nresources:\n  - directory: { path: /etc/gridops-qos }\n');
    topology = grid('[qos]');
    expect((await failure()).problems[0]!.hint).toBe('remove it from playbooks; to run the file beside the topology, write ./qos');
  });
});

describe('--playbook', () => {
  it('the same playbook given twice, alone, is a usage error (exit 64): no file is at fault', async () => {
    topology = grid('[site.yaml]');
    const err = await checkRunInputs(topology, { adHoc: ['qos', 'node-base', 'qos'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toMatchObject({ exitCode: ExitCode.USAGE, message: '--playbook qos is given twice: each playbook runs once per node', hint: 'give each playbook once: --playbook qos' });
  });

  it('given twice as two spellings of one playbook: names both', async () => {
    topology = grid('[site.yaml]');
    const err = await checkRunInputs(topology, { adHoc: [join(dir, 'site.yaml'), `${dir}/./site.yaml`] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(`--playbook ${dir}/./site.yaml names the playbook --playbook ${join(dir, 'site.yaml')} names: each playbook runs once per node`);
  });

  it('with problems in a file, it is reported with them, so that one run shows every problem', async () => {
    topology = grid('[site.yaml]');
    write('broken.yaml', 'name: broken\nresources: 3\n');
    const err = await failure({ adHoc: ['qos', join(dir, 'broken.yaml'), 'qos'] });
    expect(err.problems.length).toBeGreaterThan(0);
    expect(err.commandLine).toEqual([{ message: '--playbook qos is given twice: each playbook runs once per node', hint: 'give each playbook once: --playbook qos' }]);
  });
});

describe("a node's playbooks managing one thing twice", () => {
  it("an entry of the topology's playbook that a workflow playbook manages already: at the later entry", async () => {
    write('mine.yaml', 'name: mine\nresources:\n  - directory: { path: /etc/mine }\n  - systemd-unit: { unit: grid.slice, template: qos/grid.slice.hbs }\n');
    topology = grid('[mine.yaml]');
    const err = await failure({ ownPlaybooks: 'always' });
    expect(shown(err)).toEqual([expect.stringMatching(new RegExp(`^${join(dir, 'mine.yaml')}:4:5: this entry manages systemd-unit grid.slice, which resources\\[0\\] of playbook qos \\(.*/playbooks/qos.yaml:13:5\\) manages already`))]);
  });

  it('across --playbook playbooks, and across the topology\'s', async () => {
    const other = write('other.yaml', 'name: other\nresources:\n  - command: { name: a, run: "true" }\n  - file: { path: /etc/x, content: b }\n');
    write('one.yaml', 'name: one\nresources:\n  - file: { path: /etc/x, content: a }\n');
    topology = grid('[one.yaml, other.yaml]');
    const expected = `${other}:4:5: this entry manages file /etc/x, which resources[0] of playbook one (${join(dir, 'one.yaml')}:3:5) manages already: a node's playbooks may manage each thing once`;
    expect(shown(await failure())).toEqual([expected]);
    expect(shown(await failure({ adHoc: [join(dir, 'one.yaml'), other] }))).toEqual([expected]);
  });

  it('a path known per node only stays the planner\'s to compare', async () => {
    write('one.yaml', 'name: one\nresources:\n  - file: { path: "/etc/{{node.name}}", content: a }\n');
    write('other.yaml', 'name: other\nresources:\n  - file: { path: "/etc/{{node.name}}", content: b }\n');
    topology = grid('[one.yaml, other.yaml]');
    await expect(checkRunInputs(topology)).resolves.toBeDefined();
  });
});

describe('notify', () => {
  it('a handler no playbook of the run defines is refused at the name; one another playbook defines is not', async () => {
    const mine = write('mine.yaml', 'name: mine\nresources:\n  - file: { path: /etc/mine, content: a, notify: [restart-gridagent, nope] }\n');
    topology = grid('[mine.yaml]');
    const err = await failure({ ownPlaybooks: 'always' });
    expect(shown(err)).toEqual([`${mine}:3:70: notify names handler "nope", which no playbook of the run defines`]);
    expect(err.problems[0]!.hint).toBe('define it under `handlers:` in one of the playbooks (restart-gridagent is defined), or fix the name');
    // An ad-hoc run without the agent playbook has no restart-gridagent.
    expect(shown(await failure({ adHoc: [mine] })).map((p) => p.replace(/^.*?: /, ''))).toEqual(['notify names handler "restart-gridagent", which no playbook of the run defines', 'notify names handler "nope", which no playbook of the run defines']);
  });
});

describe('handlers', () => {
  it('one name defined by two playbooks of a run with two commands is refused at the later one (the planner would run the first for both); the same command twice is not', async () => {
    const mine = write('mine.yaml', 'name: mine\nresources:\n  - file: { path: /etc/mine, content: a, notify: [restart-gridagent] }\nhandlers:\n  - { name: restart-gridagent, run: systemctl restart myapp }\n');
    topology = grid('[mine.yaml]');
    const err = await failure({ ownPlaybooks: 'always' });
    expect(shown(err)).toEqual([`${mine}:5:5: handler "restart-gridagent" is defined by playbook agent too, with another command`]);
    expect(err.problems[0]!.hint).toMatch(/^give this handler a name of its own/);
    write('mine.yaml', 'name: mine\nresources:\n  - file: { path: /etc/mine, content: a, notify: [restart-gridagent] }\nhandlers:\n  - { name: restart-gridagent, run: systemctl restart gridagent.service }\n');
    await expect(checkRunInputs(topology, { ownPlaybooks: 'always' })).resolves.toBeDefined();
  });

  it("gridops' own playbooks name their handlers as gridops' (a user's daemon-reload handler is not taken for theirs)", async () => {
    const mine = write('mine.yaml', 'name: mine\nresources:\n  - file: { path: /etc/mine, content: a, notify: [systemd-daemon-reload] }\nhandlers:\n  - { name: systemd-daemon-reload, run: systemctl daemon-reload && systemctl restart myapp }\n');
    topology = grid('[mine.yaml]', 'defaults: { hypervisor: { enabled: true, sandbox: { image: /dev/null } } }\n');
    const result = await checkRunInputs(topology, { ownPlaybooks: 'always' }).catch((e: unknown) => e);
    expect(result instanceof ValidationError ? shown(result).filter((l) => l.startsWith(mine)) : []).toEqual([]);
  });
});

describe("gridops' own workflow", () => {
  it('passes, on nodes with and without a hypervisor, and every --playbook of its own alone', async () => {
    // The built-in workflow is compared only with playbooks a topology adds: site.yaml, beside a hypervisor node's and a plain one's.
    const small = fileURLToPath(new URL('../../examples/small.yaml', import.meta.url));
    const withSite = write('small.yaml', `${readFileSync(small, 'utf8')}\nplaybooks: [site.yaml]\n`);
    await expect(checkRunInputs(withSite, { ownPlaybooks: 'always' })).resolves.toBeDefined();
    // What only the hypervisor playbook manages conflicts where a node runs it, and only there.
    write('site.yaml', 'name: site\nresources:\n  - command: { name: gridops-config-dir, run: "true" }\n');
    await expect(checkRunInputs(withSite, { ownPlaybooks: 'always' })).rejects.toThrow(ValidationError);
    await expect(checkRunInputs(grid('[site.yaml]'), { ownPlaybooks: 'always' })).resolves.toBeDefined();
    write('site.yaml', 'name: site\nresources:\n  - directory: { path: /etc/gridops-site }\n');
    topology = grid('[site.yaml]');
    await expect(checkRunInputs(topology, { ownPlaybooks: 'always' })).resolves.toBeDefined();
    for (const own of ['node-base', 'hypervisor', 'qos', 'agent', 'reset', 'hypervisor-off', 'agent-rename', 'grid-network-rename']) await expect(checkRunInputs(topology, { adHoc: [own] })).resolves.toBeDefined();
    await expect(checkRunInputs(small, { adHoc: ['node-base', 'hypervisor', 'qos', 'agent'] })).resolves.toBeDefined();
  });
});
