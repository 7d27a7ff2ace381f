import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MutationGate } from '../../src/engine/gate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import type { KernelModuleChange } from '../../src/plan/change.js';
import type { Resource } from '../../src/resources/resource.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, gridOf, smallGrid } from '../resources/fixtures.js';

/**
 * kernel.params for a module that kernel.modules does not list: its modprobe.d options are
 * written (they apply whenever the module is loaded, by udev or anyone), and it is not loaded.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-kernel-params-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** node-base's resources for n1 under these kernel settings (a YAML flow mapping). */
function nodeBase(kernel: string): Map<string, Resource> {
  const grid = smallGrid(`defaults: { kernel: ${kernel} }`);
  const node = allNodes(grid).find((n) => n.name === 'n1')!;
  return new Map(instantiate(loadPlaybook('node-base'), templateContext(grid, node)).resources.map((r) => [r.id, r]));
}
const ctx = (kernel = {}) => ({ node: allNodes(smallGrid()).find((n) => n.name === 'n1')!, facts: facts(kernel) });

/** What a kernel-module probe prints: loaded or not, then the modules-load.d and modprobe.d files. */
const present = (content: string) => `regular file|644|root|root|${Buffer.byteLength(content)}\n${Buffer.from(content).toString('base64')}\n`;
const probed = (loaded: boolean, optionsFile: string | null) => [loaded ? 'loaded\n' : 'not-loaded\n', 'absent\n', optionsFile === null ? 'absent\n' : present(optionsFile)].join('@@gridops-probe-section@@\n');
/** What an options-only probe prints: the modprobe.d file alone (nothing is loaded, so nothing else is read). */
const optionsProbed = (optionsFile: string | null) => (optionsFile === null ? 'absent\n' : present(optionsFile));
const OPTIONS_FILE = '/etc/modprobe.d/zz-gridops-kvm_intel.conf';

/** Runs one change's batch in a local shell with /etc/ moved under `root`; modprobe only logs how it was called. */
async function applyIn(root: string, resource: Resource, change: KernelModuleChange) {
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'modprobe'), `#!/bin/sh\necho "$*" >> ${root}/modprobe.calls\n`);
  chmodSync(join(bin, 'modprobe'), 0o755);
  const local = new LocalTransport('local');
  const host = new RecordingTransport('n1').on(/^sh -s$/, (command, { options }) => local.exec(`PATH=${bin}:$PATH ${command}`, { stdin: String(options.stdin).replaceAll('/etc/', `${root}/etc/`) }));
  const perform = (w: Parameters<Resource['apply']>[1]) => resource.apply(change as never, w, ctx());
  return new MutationGate(() => undefined).pass(host, false, [{ change, perform }]);
}

function hostRoot(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(dir, 'host-'));
  for (const d of ['etc/modprobe.d', 'etc/modules-load.d']) mkdirSync(join(root, d), { recursive: true });
  for (const [path, content] of Object.entries(files)) writeFileSync(join(root, path), content);
  return root;
}

describe('kernel.params for a module not in kernel.modules', () => {
  it('gets a resource beside the listed modules', () => {
    expect([...nodeBase('{ modules: [kvm], params: { kvm: { ignore_msrs: 1 }, kvm_intel: { nested: 1 } } }').keys()].slice(0, 2)).toEqual(['kernel-module kvm', 'module-options kvm_intel']);
  });

  it('writes its modprobe.d options (checked by kmod), and neither loads nor persists the module', async () => {
    const r = nodeBase('{ params: { kvm_intel: { nested: 1, enable_apicv: false } } }').get('module-options kvm_intel')!;
    const change = r.diff(optionsProbed(null), ctx()) as KernelModuleChange;
    expect(change).toMatchObject({ kind: 'kernel-module', id: 'module-options kvm_intel', action: 'create', module: 'kvm_intel', steps: ['options'] });
    expect(change.fields).toEqual([{ name: OPTIONS_FILE, before: null, after: 'options kvm_intel nested=1 enable_apicv=N' }]);
    const root = hostRoot();
    const result = await applyIn(root, r, change);
    expect(result.failure).toBeUndefined();
    expect(readFileSync(join(root, OPTIONS_FILE), 'utf8')).toBe('# managed by gridops\noptions kvm_intel nested=1 enable_apicv=N\n');
    expect(existsSync(join(root, 'etc/modules-load.d/gridops-kvm_intel.conf'))).toBe(false);
    // The only modprobe run is kmod's check of the new file, never a load.
    expect(readFileSync(join(root, 'modprobe.calls'), 'utf8')).toMatch(/^-C \S+ --showconfig\n$/);
    // Its probe reads the options file alone: no load check, so no grep of /proc/modules on the host.
    expect(r.probe()).not.toMatch(/proc\/modules|initstate|modules-load/);
    // A loaded module (udev loaded it) is not reloaded either: the options wait for its next load.
    expect(r.diff(optionsProbed(null), ctx({ loadedModules: ['kvm_intel'] }))).toMatchObject({ action: 'create', steps: ['options'] });
  });

  it('plans nothing once the file holds its options, and listing the module later leaves the file as it is', () => {
    const written = '# managed by gridops\noptions kvm_intel nested=1\n';
    expect(nodeBase('{ params: { kvm_intel: { nested: 1 } } }').get('module-options kvm_intel')!.diff(optionsProbed(written), ctx())).toBeNull();
    const listed = nodeBase('{ modules: [kvm_intel], params: { kvm_intel: { nested: 1 } } }');
    expect(listed.has('module-options kvm_intel')).toBe(false);
    expect(listed.get('kernel-module kvm_intel')!.diff(probed(false, written), ctx())).toMatchObject({ steps: ['load', 'persist'] });
  });

  it('a removed option is taken out of the file, and a module left with no options loses the file, as for a listed module', async () => {
    const both = '# managed by gridops\noptions kvm_intel nested=1 enable_apicv=N\n';
    const update = nodeBase('{ params: { kvm_intel: { nested: 1 } } }').get('module-options kvm_intel')!.diff(optionsProbed(both), ctx());
    expect(update).toMatchObject({ action: 'update', steps: ['options'], fields: [{ name: OPTIONS_FILE, before: 'options kvm_intel nested=1 enable_apicv=N', after: 'options kvm_intel nested=1' }] });
    const r = nodeBase('{ params: { kvm_intel: {} } }').get('module-options kvm_intel')!;
    const remove = r.diff(optionsProbed(both), ctx()) as KernelModuleChange;
    expect(remove).toMatchObject({ action: 'delete', steps: ['options'], fields: [{ name: OPTIONS_FILE, before: 'options kvm_intel nested=1 enable_apicv=N', after: null }] });
    const root = hostRoot({ [OPTIONS_FILE]: both });
    expect((await applyIn(root, r, remove)).failure).toBeUndefined();
    expect(existsSync(join(root, OPTIONS_FILE))).toBe(false);
  });

  it('reset removes its file with the listed modules\' files', () => {
    const grid = smallGrid();
    const reset = instantiate(loadPlaybook('reset'), templateContext(grid, allNodes(grid)[0]!)).resources.find((r) => r.kind === 'absent-paths')!;
    expect(reset.diff(`${OPTIONS_FILE}\n`, ctx())).toMatchObject({ paths: [OPTIONS_FILE] });
  });

  it('a module built into the kernel gets the note that its options belong on the kernel command line; a kernel without module loading is no error', () => {
    const r = nodeBase('{ params: { kvm_intel: { nested: 1 } } }').get('module-options kvm_intel')!;
    expect(r.diff(optionsProbed(null), ctx({ builtinModules: ['kvm_intel'], loadableModules: false }))).toMatchObject({ action: 'none', summary: expect.stringContaining('kernel command line') });
    expect(r.diff(optionsProbed(null), ctx({ loadableModules: false }))).toMatchObject({ action: 'create', steps: ['options'] });
  });
});

describe('kernel.params under either spelling of a module name', () => {
  it('a listed kvm-intel gets the options written under kvm_intel', () => {
    const resources = nodeBase('{ modules: [kvm-intel], params: { kvm_intel: { nested: 1 } } }');
    expect([...resources.keys()].filter((id) => id.includes('kvm_intel'))).toEqual(['kernel-module kvm_intel']);
    expect(resources.get('kernel-module kvm_intel')!.diff(probed(false, null), ctx())).toMatchObject({ steps: ['load', 'persist', 'options'], fields: expect.arrayContaining([{ name: OPTIONS_FILE, before: null, after: 'options kvm_intel nested=1' }]) });
  });

  // Refused by validation now (topology/kernel-spelling-check.ts), at the second key, before any host is reached.
  it('both spellings in kernel.params of one level are a validation error, not a plan on every host', () => {
    expect(() => nodeBase('{ params: { kvm-intel: { nested: 1 }, kvm_intel: { nested: 0 } } }')).toThrow('kernel.params names module kvm_intel twice, as \\"kvm-intel\\" and \\"kvm_intel\\"');
  });

  it('a node respelling an inherited module overrides its options: one module, the node\'s value', () => {
    const grid = gridOf('defaults: { kernel: { modules: [kvm_intel], params: { kvm_intel: { nested: 1 } } } }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1, kernel: { params: { kvm-intel: { nested: 0 } } } }] }] }]');
    const made = instantiate(loadPlaybook('node-base'), templateContext(grid, allNodes(grid)[0]!)).resources;
    const modules = made.filter((r) => r.id.startsWith('kernel-module'));
    expect(modules.map((r) => r.id)).toEqual(['kernel-module kvm_intel']);
    expect(modules[0]!.diff(probed(true, null), ctx())).toMatchObject({ fields: expect.arrayContaining([{ name: OPTIONS_FILE, before: null, after: 'options kvm_intel nested=0' }]) });
  });
});
