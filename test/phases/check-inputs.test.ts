import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../src/errors/index.js';
import { checkRunInputs } from '../../src/phases/check-inputs.js';
import { gridPlaybooks } from '../../src/phases/workflow-playbooks.js';
import { BUILTIN_PLAYBOOKS_DIR } from '../../src/topology/playbook-reference.js';

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

  it('a --playbook that names nothing is reported with the other problems, not instead of them', async () => {
    const err = await failure({ adHoc: [adHoc, 'nosuch'], ownPlaybooks: 'always' });
    expect(err.problems.map((p) => `${p.file}:${p.line}:${p.column}`)).toEqual([`${topology}:4:13`, `${topology}:10:13`, `${adHoc}:3:5`]);
    expect(err.commandLine).toEqual([expect.objectContaining({ message: expect.stringMatching(/^no playbook named nosuch/) })]);
    expect(err.message).toBe(`${topology}, ${adHoc}: 3 problems found, and 1 problem on the command line`);
  });

  it("a run with --playbook does not run the topology's own playbooks, so it does not check them", async () => {
    const err = await failure({ adHoc: [adHoc] });
    expect(err.problems.map((p) => `${p.file}:${p.line}`)).toEqual([`${topology}:10`, `${adHoc}:3`]);
  });

  describe('with the validated-topology cache', () => {
    // bin/run.js stamps the running build; without a stamp there is no cache.
    const BUILD = Symbol.for('gridops.build');
    const globals = globalThis as Record<symbol, unknown>;
    const saved = { xdg: process.env.XDG_CACHE_HOME, own: process.env.GRIDOPS_CACHE_DIR };
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'gridops-inputs-'));
      delete process.env.GRIDOPS_CACHE_DIR;
      process.env.XDG_CACHE_HOME = join(dir, 'cache');
      globals[BUILD] = 'build-one|/opt/gridops/dist/cli/gridops.cjs';
    });
    afterEach(() => {
      delete globals[BUILD];
      for (const [name, value] of [['XDG_CACHE_HOME', saved.xdg], ['GRIDOPS_CACHE_DIR', saved.own]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('a file that appears beside the topology after a cached validation: the next run resolves to it', async () => {
      const file = join(dir, 'grid.yaml');
      writeFileSync(file, `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nplaybooks: [site]\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.1.1 }\n          - { name: n2, address: 10.0.1.2 }\n          - { name: n3, address: 10.0.1.3 }\n`);
      const site = 'name: site\nresources:\n  - directory: { path: /etc/gridops-site }\n';
      writeFileSync(join(dir, 'site'), site);
      const first = await checkRunInputs(file, { cached: true });
      expect(first.warnings).toEqual([]);
      // site no longer a file: the cached grid must not decide.
      rmSync(join(dir, 'site'));
      writeFileSync(join(dir, 'site.yaml'), site);
      const err = await checkRunInputs(file, { cached: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems.map((p) => p.message)).toEqual([expect.stringMatching(/^no playbook named site/)]);
      // site back: the run resolves it again.
      writeFileSync(join(dir, 'site'), site);
      const third = await checkRunInputs(file, { cached: true });
      expect(third.warnings).toEqual([]);
      expect(gridPlaybooks(third.grid, third.grid.regions[0]!.subgrids[0]!.nodes[0]!).slice(-2)).toEqual(['agent', join(dir, 'site')]);
    });
  });
});

describe('a node address the agent cannot bind', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-agent-address-'));
    file = join(dir, 'grid.yaml');
    writeFileSync(
      file,
      'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: n1.grid.test }\n          - { name: n2, address: "fd00::2" }\n          - { name: n3, address: 10.0.0.3 }\n',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("an IPv6 address is refused where the grid's workflow runs gridagent (IPv4 only), at the address; a DNS name is not", async () => {
    const err = (await checkRunInputs(file, { ownPlaybooks: 'always' }).catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.problems).toEqual([
      expect.objectContaining({
        file,
        line: 10,
        column: 34,
        message: 'node n2\'s address "fd00::2" is an IPv6 address, and gridagent, which the grid\'s workflow runs on every node, speaks IPv4 only (it binds its overlay sockets to the node\'s address)',
        hint: "write the node's IPv4 address, or a DNS name that resolves to it on the node; an IPv6 address serves only ad-hoc runs (--playbook) that do not run the agent playbook",
      }),
    ]);
    await expect(checkRunInputs(file, { adHoc: ['agent'] })).rejects.toBeInstanceOf(ValidationError);
  });

  it('the agent playbook given by its path (or a link to it) rather than its name is the agent playbook too', async () => {
    const link = join(dir, 'agent-link.yaml');
    symlinkSync(join(BUILTIN_PLAYBOOKS_DIR, 'agent.yaml'), link);
    for (const ref of [join(BUILTIN_PLAYBOOKS_DIR, 'agent.yaml'), `./${relative(process.cwd(), join(BUILTIN_PLAYBOOKS_DIR, 'agent.yaml'))}`, link]) {
      const err = await checkRunInputs(file, { adHoc: [ref] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems.map((p) => p.message)).toEqual([expect.stringMatching(/^node n2's address "fd00::2" is an IPv6 address/)]);
    }
  });

  it('an ad-hoc run that does not run the agent reaches the node by its IPv6 address as before', async () => {
    const own = join(dir, 'touch.yaml');
    writeFileSync(own, 'name: touch\nresources:\n  - directory: { path: /tmp/gridops-touch }\n');
    const { grid } = await checkRunInputs(file, { adHoc: [own] });
    expect(grid.regions[0]!.subgrids[0]!.nodes.map((n) => n.address)).toEqual(['n1.grid.test', 'fd00::2', '10.0.0.3']);
  });
});
