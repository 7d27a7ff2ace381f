/**
 * virsh 9.0 (Debian 12) prints only "error: failed to get domain 'X'" for any failed domain lookup
 * (virsh-util.c virshLookupDomainInternal resets libvirt's error): a domain libvirt does not have,
 * an access denied and a driver error alike. So that line is read as "absent" only where libvirt
 * keeps no persistent definition of the domain (gridops defines nothing transient); with the
 * definition on disk it is the host's plan error (status: `unknown`), since a removal or a status
 * taken for "absent" went on under a VM that may run. libvirt's own "Domain not found" (older
 * virsh, which printed libvirt's reason) is absent either way. The sandbox VM's probe, the
 * absent-libvirt removal's and status read the domain with the one function (objectOrAbsent), each
 * run here in a real shell with a fake `virsh` (answering `uri`) and `libvirtd` first on PATH, under
 * a test root (libvirt-host-root.ts) that holds the definition or not.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { AbsentLibvirtResource } from '../../src/resources/absent-libvirt.js';
import type { ImageFile } from '../../src/resources/image-file.js';
import { DOMAIN_DEFINITION } from '../../src/resources/libvirt-definitions.js';
import type { PlanContext, Resource } from '../../src/resources/resource.js';
import { SandboxDomainResource } from '../../src/resources/sandbox-domain.js';
import { parseSandboxView, SANDBOX_STATUS_SCRIPT } from '../../src/status/sandbox-view.js';
import { facts, node } from './fixtures.js';
import { fakeLibvirtHost, underRoot } from './libvirt-host-root.js';

/** What virsh 9.0 prints for any failed lookup of the domain. */
const LOOKUP_FAILED = "error: failed to get domain 'gridops-sandbox'";
/** libvirt's own words for a domain it does not have (printed by virsh versions that keep libvirt's error). */
const NOT_FOUND = "error: failed to get domain 'gridops-sandbox'\nerror: Domain not found: no domain with matching name 'gridops-sandbox'";

const image: ImageFile = { path: '/images/sandbox.img', sha256: 'a'.repeat(64), format: 'raw', sizeBytes: 4096, virtualSizeBytes: 4096 };
const labFacts: HostFacts = { ...facts(), cpu: { cores: 2, virtFlags: [] }, kvm: { device: true, usable: true, nested: false }, capSysResource: true, memoryBytes: 24 * 2 ** 30 };
const ctx: PlanContext = { node: node(), facts: labFacts };
const reads: Array<[kind: string, make: () => Resource]> = [
  ['sandbox-domain', () => new SandboxDomainResource({ grid: 'lab', node: 'node-01', vcpus: 1, memoryMiB: 128, cpuShares: 1024, network: 'grid-net', image, hostReserveMiB: 512, kernelModules: [] })],
  ['absent-libvirt domain', () => new AbsentLibvirtResource('domain', 'gridops-sandbox')],
];

const host = fakeLibvirtHost();
beforeEach(() => {
  fake('libvirtd', 'exit 0');
  fake('systemctl', 'exit 1');
});

const { fake } = host;
const defineOnDisk = () => {
  mkdirSync(dirname(join(host.root, DOMAIN_DEFINITION)), { recursive: true });
  writeFileSync(join(host.root, DOMAIN_DEFINITION), `<domain type='kvm'><name>gridops-sandbox</name></domain>\n`);
};
/** A libvirt that answers (`uri`) and fails every read of the domain with `error`. */
const failingReads = (error: string) => fake('virsh', `case " $* " in *" uri "*) echo qemu:///system;; *) printf '%s\\n' "${error}" >&2; exit 1;; esac`);
const run = (script: string) => {
  const out = spawnSync('/bin/sh', ['-c', underRoot(script, host.root)], { encoding: 'utf8', env: { PATH: `${host.bin}:/usr/bin:/bin` } });
  expect(out.status).toBe(0);
  return out.stdout;
};
const planned = (r: Resource) => r.diff(run(r.probe()), ctx);
const statusState = () => parseSandboxView(run(SANDBOX_STATUS_SCRIPT)).state;

describe.each(reads)('%s probe', (_kind, make) => {
  it("virsh's bare \"failed to get domain\" while libvirt keeps the domain's definition: a plan error, not absent", () => {
    defineOnDisk();
    failingReads(LOOKUP_FAILED);
    expect(() => planned(make())).toThrow(`n1: cannot read libvirt: ${LOOKUP_FAILED}`);
  });

  it("virsh's bare \"failed to get domain\" with no definition on disk: absent (nothing to remove, a VM to create)", () => {
    failingReads(LOOKUP_FAILED);
    const change = planned(make());
    if (make() instanceof AbsentLibvirtResource) expect(change).toBeNull();
    else expect(change).toMatchObject({ action: 'create' });
  });

  it("libvirt's own \"Domain not found\": absent, even with a definition file left on disk", () => {
    defineOnDisk();
    failingReads(NOT_FOUND);
    const change = planned(make());
    if (make() instanceof AbsentLibvirtResource) expect(change).toBeNull();
    else expect(change).toMatchObject({ action: 'create' });
  });
});

describe('status', () => {
  it("virsh's bare \"failed to get domain\" while libvirt keeps the definition: unknown, with virsh's line and why it is not absent", () => {
    defineOnDisk();
    failingReads(LOOKUP_FAILED);
    expect(statusState()).toBe(`unknown (${LOOKUP_FAILED}: virsh gives no reason, and libvirt keeps its definition)`);
  });

  it('the same line with no definition on disk: absent', () => {
    failingReads(LOOKUP_FAILED);
    expect(statusState()).toBe('absent');
  });

  it("libvirt's own \"Domain not found\": absent", () => {
    defineOnDisk();
    failingReads(NOT_FOUND);
    expect(statusState()).toBe('absent');
  });
});
