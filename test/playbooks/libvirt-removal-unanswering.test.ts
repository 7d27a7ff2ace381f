/**
 * The removal playbooks' libvirt steps (hypervisor-off, reset, grid-network-rename) take an object
 * for gone only where libvirt answers that it is (or virsh, or libvirt's daemon, is not installed,
 * or libvirt has no definition of it on disk). A libvirt that does not answer once read as "gone"
 * let hypervisor-off skip the VM, network and pool, then remove libvirtd's drop-in, stop the input
 * filter under a VM that may still run, delete the disks and clear the state's sandbox record: the
 * step runs instead, fails with virsh's error, and the batch stops there. Each guard and command
 * runs in a real shell with a fake `virsh` (and `libvirtd`) first on PATH, under a test root that
 * holds the daemons and definitions each case puts there (libvirt-host-root.ts).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import type { CommandChange } from '../../src/plan/change.js';
import type { Resource } from '../../src/resources/resource.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { underRoot } from '../resources/libvirt-host-root.js';
import { smallGrid } from '../resources/fixtures.js';

/** virsh 9.0's words when libvirtd and its sockets are stopped (Debian 12). */
const NOT_ANSWERING = "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory";

/** Each removal step, with libvirt's definition file of what it removes (the network's name is the topology's, grid-net). */
const steps: Array<[playbook: string, id: string, definition: string]> = [
  ['hypervisor-off', 'command remove-sandbox-vm', '/etc/libvirt/qemu/gridops-sandbox.xml'],
  ['hypervisor-off', 'command remove-grid-network', '/etc/libvirt/qemu/networks/grid-net.xml'],
  ['hypervisor-off', 'command remove-sandbox-pool', '/etc/libvirt/storage/gridops.xml'],
  ['reset', 'command remove-sandbox-vm', '/etc/libvirt/qemu/gridops-sandbox.xml'],
  ['reset', 'command remove-grid-network', '/etc/libvirt/qemu/networks/grid-net.xml'],
  ['reset', 'command remove-sandbox-pool', '/etc/libvirt/storage/gridops.xml'],
  ['grid-network-rename', 'command remove-renamed-grid-network', '/etc/libvirt/qemu/networks/grid-net.xml'],
];

const grid = smallGrid('defaults: { hypervisor: { enabled: true, sandbox: { image: sandbox.img } } }');
const step = (playbook: string, id: string): Resource => {
  const r = instantiate(loadPlaybook(playbook), templateContext(grid, allNodes(grid)[0]!)).resources.find((x) => x.id === id);
  if (!r) throw new Error(`${playbook} has no ${id}`);
  return r;
};

let bin: string;
let root: string;
beforeEach(() => {
  bin = mkdtempSync(join(tmpdir(), 'gridops-fake-virsh-'));
  root = mkdtempSync(join(tmpdir(), 'gridops-host-root-'));
});
afterEach(() => {
  rmSync(bin, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

const fake = (name: string, body: string) => {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
};
const defined = (path: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), '<definition/>');
};
/** A script's run on the fake host: its exit status and output. */
const sh = (script: string) => spawnSync('/bin/sh', ['-c', underRoot(script, root)], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
const planned = (r: Resource) => r.diff(sh(r.probe()).stdout, undefined as never) as CommandChange | null;

/** A virsh whose libvirt does not answer: every call fails as virsh does with libvirtd and its sockets stopped. */
const unanswering = () => fake('virsh', `printf '%s\\n' "${NOT_ANSWERING}" >&2; exit 1`);
/** A virsh whose libvirt answers (`uri`) and has the objects or not (saying so in libvirt's words, as LC_ALL=C virsh does). */
const answering = (has: boolean) => fake('virsh', `case " $* " in *" uri "*) echo qemu:///system;; *) ${has ? 'echo ok' : "echo \"error: failed to get domain 'gridops-sandbox'\" >&2; exit 1"};; esac`);

describe.each(steps)('%s %s', (playbook, id, definition) => {
  it("libvirt not answering, its definition on disk: planned, and the run fails with virsh's error (the batch stops before the filter is removed)", () => {
    unanswering();
    fake('libvirtd', 'exit 0');
    defined(definition);
    const change = planned(step(playbook, id));
    expect(change).toMatchObject({ kind: 'command', action: 'run' });
    const run = sh(change!.command);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Failed to connect socket');
  });

  it('libvirt not answering, no definition of it on disk: gone', () => {
    unanswering();
    fake('libvirtd', 'exit 0');
    expect(planned(step(playbook, id))).toBeNull();
  });

  it('libvirt answering: gone where it has no such object, removed where it has', () => {
    fake('libvirtd', 'exit 0');
    defined(definition);
    answering(false);
    expect(planned(step(playbook, id))).toBeNull();
    answering(true);
    expect(planned(step(playbook, id))).toMatchObject({ action: 'run' });
  });

  it('libvirt answering but refusing to read the VM (an access control driver, a driver error): not taken for gone, the step runs', () => {
    if (!id.endsWith('remove-sandbox-vm')) return;
    fake('libvirtd', 'exit 0');
    defined(definition);
    fake('virsh', `case " $* " in *" uri "*) echo qemu:///system;; *) echo "error: access denied: 'domain.read' denied" >&2; exit 1;; esac`);
    expect(planned(step(playbook, id))).toMatchObject({ action: 'run' });
  });

  it("virsh installed, libvirt's daemon not (libvirtd, virtqemud neither on PATH nor in /usr/sbin): gone", () => {
    for (const dir of ['/usr/bin', '/bin']) for (const daemon of ['libvirtd', 'virtqemud']) expect(existsSync(join(dir, daemon))).toBe(false);
    unanswering();
    defined(definition);
    expect(planned(step(playbook, id))).toBeNull();
  });

  it('no virsh: gone', () => {
    fake('libvirtd', 'exit 0');
    defined(definition);
    expect(planned(step(playbook, id))).toBeNull();
  });
});
