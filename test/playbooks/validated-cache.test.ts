import { jest } from '@jest/globals';
import * as realChildProcess from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every `sh -n` of a playbook's commands is counted; the parse itself is the real one.
let shellParses = 0;
/** How a test's shell answers: as it does, timed out (no shell answered in time), or only /bin/sh (no dash). */
let shell: 'real' | 'timeout' | 'no-dash' = 'real';
jest.unstable_mockModule('node:child_process', () => ({
  ...realChildProcess,
  spawnSync: ((command: string, ...rest: unknown[]) => {
    if (command === 'dash' || command === '/bin/sh') shellParses++;
    if (command === 'dash' && shell === 'no-dash') return { error: Object.assign(new Error('spawnSync dash ENOENT'), { code: 'ENOENT' }), status: null, stdout: '', stderr: '' };
    if ((command === 'dash' || command === '/bin/sh') && shell === 'timeout') return { error: Object.assign(new Error('spawnSync dash ETIMEDOUT'), { code: 'ETIMEDOUT' }), status: null, stdout: '', stderr: '' };
    return (realChildProcess.spawnSync as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof realChildProcess.spawnSync,
}));

type LoadModule = typeof import('../../src/playbooks/load.js');
type InputsModule = typeof import('../../src/phases/check-inputs.js');

jest.setTimeout(60_000);

// bin/run.js stamps the running bundle; the sources under test have none unless a test sets one.
const BUILD = Symbol.for('gridops.build');
const globals = globalThis as Record<symbol, unknown>;
const asRoot = process.getuid?.() === 0;

let dir: string;
let cache: string;
let playbook: string;
const savedOwn = process.env.GRIDOPS_CACHE_DIR;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-pbcache-'));
  process.env.GRIDOPS_CACHE_DIR = join(dir, 'cache');
  cache = join(dir, 'cache', 'playbooks');
  globals[BUILD] = 'build-one|/opt/gridops/dist/cli/gridops.cjs';
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates', 'motd.hbs'), 'welcome to {{node.name}}\n');
  writeFileSync(join(dir, 'payload.txt'), 'copied as it is\n');
  playbook = join(dir, 'work.yaml');
  writeFileSync(
    playbook,
    [
      'name: work',
      'resources:',
      '  - file: { path: /etc/motd, template: motd.hbs }',
      '  - file: { path: /etc/identity.json, template: node-identity.json.hbs }',
      '  - file: { path: /etc/payload, source: payload.txt }',
      '  - command: { name: mark, run: "touch /var/tmp/marker", creates: /var/tmp/marker }',
      '',
    ].join('\n'),
  );
  shellParses = 0;
  shell = 'real';
});
afterEach(() => {
  if (savedOwn === undefined) delete process.env.GRIDOPS_CACHE_DIR;
  else process.env.GRIDOPS_CACHE_DIR = savedOwn;
  delete globals[BUILD];
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The sources as a new CLI process has them: what one run found (a template's or source's path,
 * a template's checked references) is remembered in the modules, and a run is a process of its own.
 */
async function freshModules(): Promise<{ load: LoadModule; inputs: InputsModule }> {
  jest.resetModules();
  return { load: await import('../../src/playbooks/load.js'), inputs: await import('../../src/phases/check-inputs.js') };
}

/** The playbook as a run loads it (the validate phase: cached), in a process of its own. */
async function runLoad(file = playbook) {
  const { load } = await freshModules();
  return load.loadPlaybook(file, undefined, { cached: true });
}

/** The one entry the cache holds. */
function entryWritten(): string {
  const files = readdirSync(cache).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return join(cache, files[0]!);
}

/** The entry with its playbook renamed, key kept: what a run returns from it shows whether it was used. */
function tamper(entry: string): void {
  const parsed = JSON.parse(readFileSync(entry, 'utf8'));
  parsed.playbook.name = 'from-the-cache';
  writeFileSync(entry, JSON.stringify(parsed), { mode: 0o600 });
}

/** A first run keeps the playbook, and a second takes it from the cache (its tampered name shows it). */
async function keptAndUsed(): Promise<string> {
  expect((await runLoad()).name).toBe('work');
  const entry = entryWritten();
  tamper(entry);
  expect((await runLoad()).name).toBe('from-the-cache');
  return entry;
}

/** The problems a load throws, as `file: message` lines. */
async function problemsOfRunLoad(): Promise<string[]> {
  const error = await runLoad().then(
    () => undefined,
    (err: { problems?: { file: string; message: string }[] }) => err,
  );
  expect(error?.problems).toBeDefined();
  return error!.problems!.map((p) => `${p.file}: ${p.message}`);
}

describe('the validated-playbook cache', () => {
  it('gives a second run what the check returned, exactly, without parsing the playbook or its commands again', async () => {
    const fresh = await runLoad();
    expect(shellParses).toBe(1);
    const entry = entryWritten();
    const kept = JSON.parse(readFileSync(entry, 'utf8'));
    expect(kept.templates.map(([name, file]: string[]) => [name, file])).toEqual([
      ['motd.hbs', join(dir, 'templates', 'motd.hbs')],
      ['node-identity.json.hbs', expect.stringMatching(/\/templates\/node-identity\.json\.hbs$/)],
    ]);
    expect(kept.sources).toEqual([['payload.txt', join(dir, 'payload.txt')]]);
    shellParses = 0;
    const again = await runLoad();
    // The JSON round trip loses nothing a run reads: the same fields, values and ref.
    expect(again).toEqual(fresh);
    expect(JSON.stringify(again)).toBe(JSON.stringify(fresh));
    expect(shellParses).toBe(0);
    // Nor is the YAML parsed: the entry's value is what the run gets.
    tamper(entry);
    expect((await runLoad()).name).toBe('from-the-cache');
    expect(shellParses).toBe(0);
  });

  it("gridops' own playbooks and the bench's come back from the cache as the check returned them", async () => {
    const { load } = await freshModules();
    for (const ref of ['node-base', 'hypervisor', 'qos', 'agent', 'bench/provision/three-tasks.yaml']) {
      const fresh = load.loadPlaybook(ref, undefined, { cached: true });
      shellParses = 0;
      const again = load.loadPlaybook(ref, undefined, { cached: true });
      expect([ref, shellParses]).toEqual([ref, 0]);
      expect(again).toEqual(fresh);
      expect(JSON.stringify(again)).toBe(JSON.stringify(fresh));
    }
  });

  it('checks in full once a template it names is edited, and reports what is wrong in it', async () => {
    await keptAndUsed();
    writeFileSync(join(dir, 'templates', 'motd.hbs'), 'welcome to {{node.nmae}}\n');
    expect((await problemsOfRunLoad()).join('\n')).toMatch(/motd\.hbs: .*node\.nmae/);
    writeFileSync(join(dir, 'templates', 'motd.hbs'), 'welcome, {{node.name}}\n');
    shellParses = 0;
    expect((await runLoad()).name).toBe('work');
    expect(shellParses).toBe(1);
  });

  it("checks in full once a templates/ file beside the playbook shadows gridops' own", async () => {
    await keptAndUsed();
    writeFileSync(join(dir, 'templates', 'node-identity.json.hbs'), '{ "node": {{json node.nmae}} }\n');
    expect((await problemsOfRunLoad()).join('\n')).toContain(`${join(dir, 'templates', 'node-identity.json.hbs')}: `);
  });

  it('checks in full once a source it copies is removed, and says it is missing', async () => {
    await keptAndUsed();
    rmSync(join(dir, 'payload.txt'));
    expect(await problemsOfRunLoad()).toEqual([`${playbook}: source payload.txt not found beside the playbook or in the gridops package`]);
  });

  it('checks in full for another build, and for other text, which it reports when broken', async () => {
    await keptAndUsed();
    globals[BUILD] = 'build-two|/opt/gridops/dist/cli/gridops.cjs';
    shellParses = 0;
    expect((await runLoad()).name).toBe('work');
    expect(shellParses).toBe(1);
    // The other build's entry replaced this path's; it is used in its turn.
    tamper(entryWritten());
    expect((await runLoad()).name).toBe('from-the-cache');
    writeFileSync(playbook, readFileSync(playbook, 'utf8').replace('touch /var/tmp/marker', "touch '/var/tmp/marker"));
    expect((await problemsOfRunLoad()).join('\n')).toMatch(/this command is not valid sh/);
    // A playbook with problems is never kept: the entry is still the one of the text before.
    expect((await problemsOfRunLoad()).join('\n')).toMatch(/this command is not valid sh/);
  });

  it('is used by a run for --playbook and for the topology\'s own playbooks, never by validate', async () => {
    const topology = join(dir, 'grid.yaml');
    writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nplaybooks: [work.yaml]\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
    // The validate phase's options (phases/validate-topology.ts), then validate's (commands/validate.ts).
    const run = async (adHoc?: string[]) => (await freshModules()).inputs.checkRunInputs(topology, { cached: true, ...(adHoc ? { adHoc } : {}) });
    const validate = async (adHoc?: string[]) => (await freshModules()).inputs.checkRunInputs(topology, { ownPlaybooks: 'always', ...(adHoc ? { adHoc } : {}) });
    expect((await run([playbook])).loaded.get(playbook)!.name).toBe('work');
    tamper(entryWritten());
    expect((await run([playbook])).loaded.get(playbook)!.name).toBe('from-the-cache');
    expect((await run()).loaded.get(playbook)!.name).toBe('from-the-cache');
    expect((await validate([playbook])).loaded.get(playbook)!.name).toBe('work');
    expect((await validate()).loaded.get(playbook)!.name).toBe('work');
  });

  it("gives a run's workflow gridops' own playbooks from the cache (the validate phase's loadWorkflow), and a load without it in full", async () => {
    const topology = join(dir, 'plain.yaml');
    writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
    const workflowOf = async (options: { cached?: boolean }) => {
      const { inputs } = await freshModules();
      const { loadWorkflow } = await import('../../src/phases/workflow-playbooks.js');
      const { allNodes } = await import('../../src/topology/model.js');
      const { grid, loaded } = await inputs.checkRunInputs(topology, { cached: true });
      return loadWorkflow(grid, allNodes(grid), undefined, loaded, options).byNode.get('n1')!.map((p) => p.name);
    };
    expect(await workflowOf({ cached: true })).toEqual(expect.arrayContaining(['node-base', 'agent']));
    const nodeBase = readdirSync(cache).map((f) => join(cache, f)).find((f) => JSON.parse(readFileSync(f, 'utf8')).playbook?.name === 'node-base');
    expect(nodeBase).toBeDefined();
    tamper(nodeBase!);
    expect(await workflowOf({ cached: true })).toContain('from-the-cache');
    expect(await workflowOf({})).not.toContain('from-the-cache');
  });

  it.each(['timeout', 'no-dash'] as const)('keeps no check whose commands dash did not parse (%s): the next run parses them, and refuses a broken one', async (how) => {
    writeFileSync(playbook, 'name: work\nresources:\n  - command: { name: mark, run: "echo \\"unterminated", creates: /var/tmp/marker }\n');
    // A shell that does not answer passes the run (as before the cache); with /bin/sh the hosts' dash was not asked. Either way nothing is kept.
    shell = how;
    const first = await runLoad().then(
      (p) => p.name,
      () => 'refused',
    );
    if (how === 'timeout') expect(first).toBe('work');
    expect(existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith('.json')) : []).toEqual([]);
    shell = 'real';
    expect((await problemsOfRunLoad()).join('\n')).toContain('this command is not valid sh');
  });

  it('keys a template by the text its check read, not by what is there when the entry is written', async () => {
    const { load } = await freshModules();
    const { checkPlaybookText } = load;
    const { keepPlaybook } = await import('../../src/playbooks/validated-cache.js');
    const text = readFileSync(playbook, 'utf8');
    const checked = checkPlaybookText(playbook, text);
    expect(checked.problems).toEqual([]);
    // Edited between the check and the entry's write: the entry must not say the new text was checked.
    writeFileSync(join(dir, 'templates', 'motd.hbs'), 'welcome to {{node.nmae}}\n');
    keepPlaybook(playbook, text, checked.playbook!, checked.consulted);
    expect((await problemsOfRunLoad()).join('\n')).toContain('node.nmae');
  });

  it("gives a run gridops' own workflow from the cache when the topology adds playbooks of its own too (workflowConflicts loads them first)", async () => {
    const topology = join(dir, 'grid.yaml');
    writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nplaybooks: [work.yaml]\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
    const run = async () => (await freshModules()).inputs.checkRunInputs(topology, { cached: true });
    expect((await run()).loaded.get('node-base')!.name).toBe('node-base');
    const nodeBase = readdirSync(cache).map((f) => join(cache, f)).find((f) => JSON.parse(readFileSync(f, 'utf8')).playbook?.name === 'node-base');
    expect(nodeBase).toBeDefined();
    tamper(nodeBase!);
    expect((await run()).loaded.get('node-base')!.name).toBe('from-the-cache');
  });

  it('trusts no entry in a directory others may write', async () => {
    await keptAndUsed();
    chmodSync(cache, 0o770);
    expect((await runLoad()).name).toBe('work');
  });

  // Giving the entry to another user takes root (chown).
  (asRoot ? it : it.skip)('trusts no entry of another user', async () => {
    const entry = await keptAndUsed();
    chownSync(entry, 65534, 65534);
    expect((await runLoad()).name).toBe('work');
  });

  it('keeps nothing outside the bundled CLI, and the same run of the bundle keeps it', async () => {
    delete globals[BUILD];
    expect((await runLoad()).name).toBe('work');
    expect(() => readdirSync(cache)).toThrow(/ENOENT/);
    globals[BUILD] = 'build-one|/opt/gridops/dist/cli/gridops.cjs';
    await runLoad();
    entryWritten();
  });
});
