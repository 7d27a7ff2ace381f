import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planHost } from '../../src/engine/planner.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { NO_BIRTHS } from '../../src/state/group-births.js';
import { allNodes } from '../../src/topology/model.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { gridOf } from '../resources/fixtures.js';
import { underRoot } from '../resources/libvirt-host-root.js';

/**
 * A host whose virsh and libvirt daemon are installed but whose libvirt does not answer (this
 * machine, with a fake `virsh` printing virsh's own error for stopped libvirt sockets, and a fake
 * `libvirtd`): its plan fails through the per-host plan-error path, with virsh's reason and what to
 * do, instead of planning to create libvirt objects that may exist, where libvirt has their
 * definitions on disk (under a test root, libvirt-host-root.ts); without any, as on a host whose
 * libvirtd is disabled before the hypervisor playbook's first run, they are planned as new. A host
 * that does not run the hypervisor playbook is not asked about libvirt at all.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-libvirt-not-answering-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const [name, body] of [
  ['virsh', `echo "error: failed to connect to the hypervisor" >&2\necho "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory" >&2\nexit 1`],
  ['libvirtd', 'exit 0'],
]) {
  writeFileSync(join(dir, name!), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name!), 0o755);
}
writeFileSync(join(dir, 'sandbox.img'), Buffer.alloc(4096));
const topology = (enabled: boolean) => gridOf(`defaults: { hypervisor: { enabled: ${enabled}, sandbox: { image: sandbox.img, memoryMiB: 64 }, hostReserveMiB: 16 } }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n`, join(dir, 't.yaml'));
/** The hypervisor playbook's libvirt resources, where it applies. */
writeFileSync(join(dir, 'libvirt.yaml'), 'name: libvirt\nonlyWhere: hypervisor.enabled\nresources:\n  - libvirt-network: {}\n  - libvirt-pool: {}\n  - sandbox-image: {}\n  - sandbox-disk: {}\n  - sandbox-domain: {}\n');
const playbook = loadPlaybook(join(dir, 'libvirt.yaml'));
const local = new LocalTransport('local', { ...process.env, PATH: `${dir}:${process.env.PATH}` });
/** A host root holding libvirt's definitions of gridops' network, pool and VM; and one holding none. */
const definedRoot = join(dir, 'defined');
for (const path of ['/etc/libvirt/qemu/networks/grid-net.xml', '/etc/libvirt/storage/gridops.xml', '/etc/libvirt/qemu/gridops-sandbox.xml']) {
  mkdirSync(join(definedRoot, path, '..'), { recursive: true });
  writeFileSync(join(definedRoot, path), '<definition/>');
}
const emptyRoot = join(dir, 'empty');
/** This machine's read under `root`, as a systemd host's (the sandbox needs systemd; a test container's init is not). */
const transport = (root = definedRoot) =>
  new RecordingTransport('n1').on(/[\s\S]*/, async (command, { options }) => {
    const r = await local.exec(underRoot(command, root), { stdin: options.stdin });
    return { ...r, stdout: r.stdout.replace(/(init@@\n)[^\n]*\n/, '$1systemd\n') };
  });

it("libvirt not answering: the host's plan is an error naming virsh's reason, with no change planned", async () => {
  const grid = topology(true);
  const { plan } = await planHost(grid, { node: allNodes(grid)[0]!, transport: transport() }, [playbook], {}, NO_BIRTHS);
  expect(plan.error).toEqual({
    kind: 'planning',
    message: "cannot read libvirt: libvirt not answering: error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
    hint: expect.stringMatching(/^start it \(systemctl start libvirtd\.socket libvirtd\.service\)/),
  });
  expect(plan.changes).toEqual([]);
});

it('libvirt not answering, none of its definitions of gridops\' objects on disk: planned as new, as before', async () => {
  const grid = topology(true);
  const { plan } = await planHost(grid, { node: allNodes(grid)[0]!, transport: transport(emptyRoot) }, [playbook], {}, NO_BIRTHS);
  expect(plan.error).toBeUndefined();
  expect(plan.changes.map((c) => [c.kind, c.action])).toEqual([
    ['libvirt-network', 'create'],
    ['libvirt-pool', 'create'],
    ['sandbox-image', 'create'],
    ['sandbox-disk', 'create'],
    ['sandbox-domain', 'create'],
  ]);
});

it('a host the hypervisor playbook does not apply to: libvirt is not probed, and the plan has no error', async () => {
  const grid = topology(false);
  const t = transport();
  const { plan } = await planHost(grid, { node: allNodes(grid)[0]!, transport: t }, [playbook], {}, NO_BIRTHS);
  expect(plan.error).toBeUndefined();
  expect(t.calls.flatMap((c) => (c.kind === 'exec' ? [c.command, c.stdin ?? ''] : [])).join('\n')).not.toContain('virsh');
});
