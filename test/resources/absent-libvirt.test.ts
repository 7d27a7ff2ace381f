/**
 * absent-libvirt's removal at apply time, run in a real shell with a fake `virsh` first on PATH that
 * records its arguments: destroy, whose "not running" is success, then undefine; any other failure
 * of the destroy stops the host's batch before the undefine (a running VM undefined runs on,
 * transient, over disks the playbook removes next). Names reach virsh as one quoted word each.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AbsentLibvirtChange } from '../../src/plan/change.js';
import { AbsentLibvirtResource, type LibvirtObject } from '../../src/resources/absent-libvirt.js';
import { domainDefinition, networkDefinition, poolDefinition } from '../../src/resources/libvirt-definitions.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { node } from './fixtures.js';
import { fakeLibvirtHost, underRoot } from './libvirt-host-root.js';

const host = fakeLibvirtHost();

/** libvirt's persistent definition of the object, where libvirt keeps it (under the test root, libvirt-host-root.ts). */
const definedOnDisk = (object: LibvirtObject, name: string) => {
  const path = join(host.root, { domain: domainDefinition, network: networkDefinition, pool: poolDefinition }[object](name));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '<definition/>');
};

/** A virsh that records each call's arguments (one a line, after a `--` line) and answers `reply(subcommand)`: shell run in the fake. */
const fakeVirsh = (reply: string) => {
  writeFileSync(join(host.bin, 'virsh'), `#!/bin/sh\necho -- >> '${host.bin}/calls'\nfor a in "$@"; do printf '%s\\n' "$a" >> '${host.bin}/calls'; done\ncase "$4" in\n${reply}\nesac\nexit 0\n`);
  chmodSync(join(host.bin, 'virsh'), 0o755);
};
/** Each virsh call as its argument list. */
const calls = () => (existsSync(join(host.bin, 'calls')) ? readFileSync(join(host.bin, 'calls'), 'utf8').split('--\n').filter(Boolean).map((c) => c.trimEnd().split('\n')) : []);

const change = (r: AbsentLibvirtResource): AbsentLibvirtChange => ({ kind: 'absent-libvirt', id: r.id, action: 'delete', object: r.object, name: r.name, summary: '', fields: [] });
/** The change's steps as the host's batch runs them: each in a subshell, the first failure ending the batch (engine/batch-script.ts). */
async function apply(r: AbsentLibvirtResource) {
  const recorder = new StepRecorder('n1');
  recorder.begin(r.id);
  await r.apply(change(r), recorder);
  return spawnSync('/bin/sh', ['-c', underRoot(recorder.steps.map((s) => `( ${s.command}\n) < /dev/null || exit $?`).join('\n'), host.root)], { encoding: 'utf8', cwd: host.bin, env: { PATH: `${host.bin}:/usr/bin:/bin` } });
}

const objects: Array<[LibvirtObject, string, string, string]> = [
  ['domain', 'destroy', 'undefine', "error: Failed to destroy domain 'gridops-sandbox'\nerror: Requested operation is not valid: domain is not running"],
  ['network', 'net-destroy', 'net-undefine', "error: Failed to destroy network grid-net\nerror: Requested operation is not valid: network 'grid-net' is not active"],
  ['pool', 'pool-destroy', 'pool-undefine', "error: Failed to destroy pool gridops\nerror: Requested operation is not valid: storage pool 'gridops' is not active"],
];

describe.each(objects)('absent-libvirt %s', (object, destroy, undefine, notRunning) => {
  const name = object === 'domain' ? 'gridops-sandbox' : object === 'network' ? 'grid-net' : 'gridops';

  it('destroys, then undefines, against the system libvirt', async () => {
    fakeVirsh('');
    expect((await apply(new AbsentLibvirtResource(object, name))).status).toBe(0);
    expect(calls()).toEqual([
      ['-q', '-c', 'qemu:///system', destroy, name],
      ['-q', '-c', 'qemu:///system', undefine, ...(object === 'domain' ? ['--managed-save', '--nvram', '--snapshots-metadata', '--checkpoints-metadata'] : []), name],
    ]);
  });

  it('a destroy refused because it is not running is success: the undefine follows', async () => {
    fakeVirsh(`${destroy}) printf '%s\\n' "${notRunning}" >&2; exit 1;;`);
    expect((await apply(new AbsentLibvirtResource(object, name))).status).toBe(0);
    expect(calls().map((c) => c[3])).toEqual([destroy, undefine]);
  });

  it('any other failure of the destroy fails the step with virsh\'s error, and nothing after it runs', async () => {
    fakeVirsh(`${destroy}) echo "error: Failed to destroy ${object} ${name}" >&2; echo "error: internal error: process exited while connecting to monitor" >&2; exit 1;;`);
    const run = await apply(new AbsentLibvirtResource(object, name));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('internal error: process exited while connecting to monitor');
    expect(calls().map((c) => c[3])).toEqual([destroy]);
  });

  it('a failing undefine fails the step; one that finds the object gone (since the plan) is success', async () => {
    // virsh's words where its lookup of the object fails (access denied): its own line, then libvirt's reason (virsh 9.0 prints only its line for a domain).
    const denied = { domain: "error: failed to get domain 'gridops-sandbox'\nerror: access denied: 'domain.delete' denied", network: "error: failed to get network 'grid-net'\nerror: access denied: 'network.delete' denied", pool: "error: failed to get pool 'gridops'\nerror: access denied: 'storage_pool.delete' denied" }[object];
    definedOnDisk(object, name);
    fakeVirsh(`${undefine}) printf '%s\\n' "${denied}" >&2; exit 1;;`);
    const run = await apply(new AbsentLibvirtResource(object, name));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('access denied');
    rmSync(join(host.bin, 'calls'));
    // Gone since the plan: libvirt removed its definition with it.
    rmSync(join(host.root, 'etc'), { recursive: true, force: true });
    const gone = { domain: "error: failed to get domain 'gridops-sandbox'", network: "error: failed to get network 'grid-net'\nerror: Network not found: no network with matching name 'grid-net'", pool: "error: failed to get pool 'gridops'\nerror: Storage pool not found: no storage pool with matching name 'gridops'" }[object];
    fakeVirsh(`${destroy}|${undefine}) echo "${gone}" >&2; exit 1;;`);
    expect((await apply(new AbsentLibvirtResource(object, name))).status).toBe(0);
  });

  it('a hostile name reaches virsh as one word, in the probe and the removal', async () => {
    const hostile = `x'; touch pwned; echo '$(touch pwned2) \`touch pwned3\``;
    const r = new AbsentLibvirtResource(object, hostile);
    fakeVirsh('');
    await apply(r);
    expect(calls().map((c) => c.at(-1))).toEqual([hostile, hostile]);
    writeFileSync(join(host.bin, 'libvirtd'), '#!/bin/sh\n');
    chmodSync(join(host.bin, 'libvirtd'), 0o755);
    spawnSync('/bin/sh', ['-c', r.probe()], { cwd: host.bin, env: { PATH: `${host.bin}:/usr/bin:/bin` } });
    expect(calls().slice(2).map((c) => c[4])).toEqual([hostile]);
    for (const f of ['pwned', 'pwned2', 'pwned3']) expect(existsSync(join(host.bin, f))).toBe(false);
  });

  it('plans "destroy and undefine" where it runs, "undefine" where it does not, nothing where it is gone', () => {
    const r = new AbsentLibvirtResource(object, name);
    const ctx = { node: node(), facts: undefined as never };
    const running = { domain: 'State: running', network: 'Active: yes', pool: 'State: running' }[object];
    const stopped = { domain: 'State: shut off', network: 'Active: no', pool: 'State: inactive' }[object];
    expect(r.diff(`Name: ${name}\n${running}\n`, ctx)?.summary).toMatch(new RegExp(`^destroy and undefine (VM|network|pool) ${name}$`));
    expect(r.diff(`Name: ${name}\n${stopped}\n`, ctx)?.summary).toMatch(new RegExp(`^undefine (VM|network|pool) ${name}$`));
    expect(r.diff('absent\n', ctx)).toBeNull();
    expect(r.diff('no-libvirt\n', ctx)).toBeNull();
  });
});

it('refuses a name that would leave its definition file or read as an option', () => {
  for (const bad of ['', '.', '..', 'a/b', '../x', '-c', 'a\nb']) expect(() => new AbsentLibvirtResource('network', bad)).toThrow(RangeError);
});
