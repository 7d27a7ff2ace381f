/**
 * The libvirt resources on a host whose virsh is installed but whose libvirt does not answer
 * (libvirtd and its sockets stopped, access denied, a broken daemon): each probe runs in a real
 * shell with a fake `virsh` (and a fake `libvirtd`, the daemon installed) first on PATH, printing
 * virsh's own error text. Read as "absent", such a host was planned to define and start a network,
 * pool, volume or VM that may be there (a define over the running VM past --replace-sandbox,
 * `net-start` failing "already active"): it is a plan error for the host, as Terraform's libvirt
 * provider fails its refresh. Before libvirt is installed (no virsh, or no daemon yet: a first
 * apply installs the packages in the same run) the objects are absent, as before, and so is an object
 * whose persistent definition libvirt does not have on disk (libvirtd disabled, nothing of gridops
 * defined yet: the hypervisor playbook starts libvirt in the same run). The probes run under a test
 * root (libvirt-host-root.ts) that holds the daemons and definitions each test puts there.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import type { ImageFile } from '../../src/resources/image-file.js';
import { LibvirtNetworkResource } from '../../src/resources/libvirt-network.js';
import { LibvirtPoolResource } from '../../src/resources/libvirt-pool.js';
import type { PlanContext, Resource } from '../../src/resources/resource.js';
import { SandboxDiskResource } from '../../src/resources/sandbox-disk.js';
import { SandboxDomainResource } from '../../src/resources/sandbox-domain.js';
import { SandboxImageResource } from '../../src/resources/sandbox-image.js';
import { SANDBOX_DOMAIN, SANDBOX_POOL } from '../../src/resources/sandbox-names.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node } from './fixtures.js';
import { fakeLibvirtHost, underRoot } from './libvirt-host-root.js';

/** virsh 9.0's words when libvirtd and its sockets are stopped (Debian 12). */
const NOT_ANSWERING = "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory";
/** libvirt's words for a domain it does not have. */
const NOT_FOUND = "error: failed to get domain 'gridops-sandbox'\nerror: Domain not found: no domain with matching name 'gridops-sandbox'";
const EXPECTED = "n1: cannot read libvirt: libvirt not answering: error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory";

const image: ImageFile = { path: '/images/sandbox.img', sha256: 'a'.repeat(64), format: 'raw', sizeBytes: 4096, virtualSizeBytes: 4096 };
const labFacts: HostFacts = { ...facts(), cpu: { cores: 2, virtFlags: [] }, kvm: { device: true, usable: true, nested: false }, capSysResource: true, memoryBytes: 24 * 2 ** 30 };
const ctx: PlanContext = { node: node(), facts: labFacts };
const sandboxDomain = () => new SandboxDomainResource({ grid: 'lab', node: 'node-01', vcpus: 1, memoryMiB: 128, cpuShares: 1024, network: 'grid-net', image, hostReserveMiB: 512, kernelModules: [] });
const resources: Array<[string, () => Resource]> = [
  ['libvirt-network', () => new LibvirtNetworkResource('grid-net')],
  ['libvirt-pool', () => new LibvirtPoolResource()],
  ['sandbox-image', () => new SandboxImageResource(image)],
  ['sandbox-disk', () => new SandboxDiskResource(image)],
  ['sandbox-domain', () => sandboxDomain()],
];

/** libvirt's persistent definitions of gridops' objects, as libvirt keeps them on disk (root's). */
const DEFINITIONS = {
  network: '/etc/libvirt/qemu/networks/grid-net.xml',
  pool: `/etc/libvirt/storage/${SANDBOX_POOL}.xml`,
  domain: `/etc/libvirt/qemu/${SANDBOX_DOMAIN}.xml`,
};

const host = fakeLibvirtHost();
beforeEach(() => {
  // The sandbox input filter unit has not failed, unless a test says so.
  fake('systemctl', 'exit 1');
});

/** Puts libvirt's definition files of these objects under the test root. */
const defined = (...paths: string[]) => {
  for (const path of paths) {
    mkdirSync(dirname(join(host.root, path)), { recursive: true });
    writeFileSync(join(host.root, path), '<definition/>');
  }
};
const allDefined = () => defined(...Object.values(DEFINITIONS));

const { fake } = host;
const refused = `printf '%s\\n' "${NOT_ANSWERING}" >&2; exit 1`;
/** The probe's output in a shell whose PATH has the fakes first, then only the system's user binaries. */
const probe = (r: Resource) => {
  const out = spawnSync('/bin/sh', ['-c', underRoot(r.probe(), host.root)], { encoding: 'utf8', env: { PATH: `${host.bin}:/usr/bin:/bin` } });
  expect(out.status).toBe(0);
  return out.stdout;
};
const planError = (r: Resource): PlanningError => {
  try {
    r.diff(probe(r), ctx);
  } catch (e) {
    return e as PlanningError;
  }
  throw new Error(`${r.id}: planned without an error`);
};

/** The libvirt reads: the image is a file the probe stats, which the host's other reads refuse for it. */
const libvirtReads = resources.filter(([kind]) => kind !== 'sandbox-image');

describe('virsh and the daemon installed, libvirt not answering', () => {
  it.each(libvirtReads)("%s: a plan error for the host, with virsh's last line and what to do", (_kind, make) => {
    allDefined();
    fake('virsh', refused);
    fake('libvirtd', 'exit 0');
    const e = planError(make());
    expect(e).toBeInstanceOf(PlanningError);
    expect(e.message).toBe(EXPECTED);
    expect(e.hint).toBe('start it (systemctl start libvirtd.socket libvirtd.service), or fix what virsh says (virsh -c qemu:///system list --all), then plan again: until libvirt answers, the plan cannot tell which of the grid network, pool, volumes and sandbox VM are there');
  });

  it.each(libvirtReads)('%s: libvirtd cannot start because the sandbox input filter unit it requires failed: says so, and what to check', (_kind, make) => {
    allDefined();
    fake('virsh', refused);
    fake('libvirtd', 'exit 0');
    fake('systemctl', 'case "$*" in "is-failed --quiet gridops-sandbox-input.service") exit 0;; *) exit 1;; esac');
    const e = planError(make());
    expect(e).toBeInstanceOf(PlanningError);
    expect(e.message).toBe(
      "n1: cannot read libvirt: libvirtd cannot start: the sandbox input filter unit it requires (gridops-sandbox-input.service) failed; virsh: error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
    );
    expect(e.hint).toContain('journalctl -u gridops-sandbox-input.service');
    expect(e.hint).toContain('nft -c -f /etc/gridops/sandbox-input.nft');
    expect(e.hint).not.toContain('systemctl start libvirtd');
  });

  it.each(libvirtReads)('%s: none of gridops\' definitions on disk (libvirtd disabled, nothing defined yet): created, as before', (_kind, make) => {
    fake('virsh', refused);
    fake('libvirtd', 'exit 0');
    const r = make();
    expect(r.diff(probe(r), ctx)).toMatchObject({ action: 'create' });
  });

  it("the modular daemon, virtqemud in /usr/sbin (not on a plain user's PATH), counts as libvirt installed", () => {
    allDefined();
    fake('virsh', refused);
    mkdirSync(join(host.root, '/usr/sbin'), { recursive: true });
    writeFileSync(join(host.root, '/usr/sbin/virtqemud'), '');
    chmodSync(join(host.root, '/usr/sbin/virtqemud'), 0o755);
    expect(() => new LibvirtPoolResource().diff(probe(new LibvirtPoolResource()), ctx)).toThrow(EXPECTED);
  });

  it('each object by its own definition: the network is created where only the pool and the VM are defined, the overlay disk is refused where its pool is', () => {
    defined(DEFINITIONS.pool, DEFINITIONS.domain);
    fake('virsh', refused);
    fake('libvirtd', 'exit 0');
    const network = new LibvirtNetworkResource('grid-net');
    expect(network.diff(probe(network), ctx)).toMatchObject({ action: 'create' });
    const disk = new SandboxDiskResource(image);
    expect(() => disk.diff(probe(disk), ctx)).toThrow(EXPECTED);
  });

  it('the sandbox domain, with libvirt answering but refusing to read the domain: a plan error with that reason, not a VM to define', () => {
    fake('virsh', `case " $* " in *" uri "*) echo qemu:///system;; *) echo "error: access denied: 'domain.read' denied" >&2; exit 1;; esac`);
    fake('libvirtd', 'exit 0');
    const r = sandboxDomain();
    expect(() => r.diff(probe(r), ctx)).toThrow("n1: cannot read libvirt: error: access denied: 'domain.read' denied");
  });

  it('where every object is there, no read asks libvirt a second time (virsh uri is asked only after a read failed)', () => {
    const log = join(host.bin, 'calls');
    fake('virsh', `echo "$*" >> ${log}; case " $* " in *" uri "*) exit 0;; *dominfo*) echo 'State: running';; *domstate*) echo running;; *) echo '<xml/>';; esac`);
    fake('libvirtd', 'exit 0');
    for (const [, make] of libvirtReads) probe(make());
    const calls = readFileSync(log, 'utf8');
    expect(calls).toContain('net-dumpxml');
    expect(calls).not.toMatch(/ uri$/m);
  });

  it.each([
    ['running', [`dumpxml --inactive ${SANDBOX_DOMAIN}`, `dumpxml ${SANDBOX_DOMAIN}`]],
    ['paused', [`dumpxml --inactive ${SANDBOX_DOMAIN}`, `dumpxml ${SANDBOX_DOMAIN}`]],
    ['shut off', [`dumpxml --inactive ${SANDBOX_DOMAIN}`]],
  ])('the sandbox domain asks virsh once for its state (dominfo, no domstate), and reads the live XML of a VM that is %s only where it is active', (state, dumpxmls) => {
    const log = join(host.bin, 'calls');
    // A later line that says `shut off` (a message, say) is not the state.
    const info = `Name:           ${SANDBOX_DOMAIN}\nState:          ${state}\nAutostart:      enable\nMessages:       was shut off once\n`;
    fake('virsh', `echo "$*" >> ${log}; case " $* " in *" dominfo "*) printf %s ${quote(info)};; *" dumpxml "*) echo "<domain type='qemu'><name>$*</name></domain>";; *) echo '';; esac`);
    fake('libvirtd', 'exit 0');
    const out = probe(sandboxDomain());
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls.filter((c) => / dom(info|state) /.test(c)).map((c) => c.replace(/^.* (dom\w+) .*$/, '$1'))).toEqual(['dominfo']);
    expect(calls.filter((c) => c.includes(' dumpxml ')).map((c) => c.replace(/^.* dumpxml /, 'dumpxml '))).toEqual(dumpxmls);
    // The live section holds the active VM's XML, or nothing.
    expect(out.split('@@gridops-probe-section@@\n')[2]).toBe(dumpxmls.length > 1 ? `<domain type='qemu'><name>-q -c qemu:///system dumpxml ${SANDBOX_DOMAIN}</name></domain>\n` : '');
  });

  it("a dominfo that printed the VM's state and then failed (the node's security model or the VM's label: it exits 1) is read as printed: a running VM, autostarted, not a libvirt read error", () => {
    const info = `Name:           ${SANDBOX_DOMAIN}\nState:          running\nAutostart:      enable\nManaged save:   no\nerror: Failed to get security label\n`;
    const inactive = readFileSync(new URL('./fixtures/sandbox-inactive.xml', import.meta.url), 'utf8');
    fake('virsh', `case " $* " in *" dominfo "*) printf %s ${quote(info)}; exit 1;; *" dumpxml "*) printf %s ${quote(inactive)};; *) echo '';; esac`);
    fake('libvirtd', 'exit 0');
    // The VM the fixture's definition describes, so that only the state and autostart could differ.
    const sha256 = /image="([0-9a-f]{64})"/.exec(inactive)![1]!;
    const r = new SandboxDomainResource({ grid: 'lab', node: 'node-01', vcpus: 1, memoryMiB: 128, cpuShares: 1024, network: 'grid-net', image: { path: '/i', sha256, format: 'raw', sizeBytes: 1, virtualSizeBytes: 1 }, hostReserveMiB: 512, kernelModules: [] });
    const out = probe(r);
    expect(out.split('@@gridops-probe-section@@\n')[0]).toBe(info);
    // Not `cannot read libvirt`, nothing to start and no autostart: the state and autostart were read.
    // The one step is the memory limits set on the running VM (its live XML, this fake's, has none),
    // which a plan asks only of a VM it read as running. A node without CAP_SYS_RESOURCE, as the
    // fixture's: libvirt keeps no hard limit in the definition there.
    const change = r.diff(out, { ...ctx, facts: { ...labFacts, capSysResource: false } })!;
    expect(change.steps).toEqual(['live']);
    expect(change.fields.map((f) => f.name)).toEqual(['/domain/memtune/hard_limit (live)', '/domain/memtune/swap_hard_limit (live)']);
  });

  it('the sandbox domain libvirt says it does not have: created', () => {
    fake('virsh', `case " $* " in *" uri "*) echo qemu:///system;; *) printf '%s\\n' "${NOT_FOUND}" >&2; exit 1;; esac`);
    fake('libvirtd', 'exit 0');
    const r = sandboxDomain();
    expect(r.diff(probe(r), ctx)).toMatchObject({ action: 'create', steps: ['define', 'autostart', 'start'] });
  });
});

describe('before libvirt is installed: absent, as before', () => {
  it.each(resources)("%s: virsh installed but not libvirt's daemon (the packages come in this run): created", (_kind, make) => {
    // The probe looks for libvirtd and virtqemud on PATH (the fakes, /usr/bin, /bin) and in /usr/sbin (the test root's, empty).
    for (const dir of ['/usr/bin', '/bin']) for (const daemon of ['libvirtd', 'virtqemud']) expect(existsSync(join(dir, daemon))).toBe(false);
    allDefined();
    fake('virsh', refused);
    const r = make();
    expect(r.diff(probe(r), ctx)).toMatchObject({ action: 'create' });
  });

  it.each(resources)('%s: no virsh: created', (_kind, make) => {
    fake('libvirtd', 'exit 0');
    const r = make();
    expect(r.diff(probe(r), ctx)).toMatchObject({ action: 'create' });
  });
});
