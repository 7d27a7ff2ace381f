/**
 * The grid network, the pool and the overlay disk on a host whose libvirt answers: each is absent
 * only where libvirt says, in its words for that kind of object (LC_ALL=C), that it has none; any
 * other failure of the read (access denied, a driver error) is the host's plan error, as for the
 * sandbox VM. Taken for "absent", an access-denied `pool-dumpxml` planned to define the pool over
 * one that is there. Each probe runs in a real shell with a fake `virsh` (answering `uri`, failing
 * the read with the words given) and a fake `libvirtd` first on PATH, under a test root
 * (libvirt-host-root.ts) that holds the objects' definitions, as libvirt keeps them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import type { ImageFile } from '../../src/resources/image-file.js';
import { LibvirtNetworkResource } from '../../src/resources/libvirt-network.js';
import { LibvirtPoolResource } from '../../src/resources/libvirt-pool.js';
import type { PlanContext, Resource } from '../../src/resources/resource.js';
import { SandboxDiskResource } from '../../src/resources/sandbox-disk.js';
import { SANDBOX_POOL, SANDBOX_POOL_PATH } from '../../src/resources/sandbox-names.js';
import { facts, node } from './fixtures.js';
import { fakeLibvirtHost, underRoot } from './libvirt-host-root.js';

/** libvirt 9.0's words (LC_ALL=C, the lab's Debian 12) for each object it does not have. */
const NOT_FOUND = {
  network: "error: failed to get network 'grid-net'\nerror: Network not found: no network with matching name 'grid-net'",
  pool: `error: failed to get pool '${SANDBOX_POOL}'\nerror: Storage pool not found: no storage pool with matching name '${SANDBOX_POOL}'`,
  volume: "error: failed to get vol 'sandbox-aaaaaaaaaaaaaaaa.qcow2'\nerror: Storage volume not found: no storage vol with matching path 'sandbox-aaaaaaaaaaaaaaaa.qcow2'",
};

const image: ImageFile = { path: '/images/sandbox.img', sha256: 'a'.repeat(64), format: 'raw', sizeBytes: 4096, virtualSizeBytes: 4096 };
const ctx: PlanContext = { node: node(), facts: facts() };
const reads: Array<[kind: string, make: () => Resource, denied: string]> = [
  ['libvirt-network', () => new LibvirtNetworkResource('grid-net'), "error: access denied: 'network.read' denied"],
  ['libvirt-pool', () => new LibvirtPoolResource(), "error: access denied: 'storage_pool.read' denied"],
  ['sandbox-disk', () => new SandboxDiskResource(image), "error: access denied: 'storage_vol.read' denied"],
];

const host = fakeLibvirtHost();
beforeEach(() => {
  fake('libvirtd', 'exit 0');
  fake('systemctl', 'exit 1');
  // libvirt's definitions are there: only what libvirt answers may say the objects are not.
  for (const path of ['/etc/libvirt/qemu/networks/grid-net.xml', `/etc/libvirt/storage/${SANDBOX_POOL}.xml`]) {
    mkdirSync(dirname(join(host.root, path)), { recursive: true });
    writeFileSync(join(host.root, path), '<definition/>');
  }
});

const { fake } = host;
/** A virsh whose libvirt answers (`uri`) and fails every read with `error` on stderr. */
const answeringWith = (error: string) => fake('virsh', `case " $* " in *" uri "*) echo qemu:///system;; *) printf '%s\\n' "${error}" >&2; exit 1;; esac`);
const planned = (r: Resource) => {
  const out = spawnSync('/bin/sh', ['-c', underRoot(r.probe(), host.root)], { encoding: 'utf8', env: { PATH: `${host.bin}:/usr/bin:/bin` } });
  expect(out.status).toBe(0);
  return r.diff(out.stdout, ctx);
};

describe.each(reads)('%s, libvirt answering', (kind, make, denied) => {
  it("access denied to the read: a plan error naming the node and virsh's reason, not an object to define", () => {
    answeringWith(denied);
    const r = make();
    expect(() => planned(r)).toThrow(PlanningError);
    expect(() => planned(r)).toThrow(`n1: cannot read libvirt: ${denied}`);
  });

  it('a driver error on the read: a plan error too', () => {
    answeringWith('error: internal error: cannot parse the definition');
    expect(() => planned(make())).toThrow('n1: cannot read libvirt: error: internal error: cannot parse the definition');
  });

  it('libvirt says, in its words for this object, that it has none: created', () => {
    answeringWith(kind === 'libvirt-network' ? NOT_FOUND.network : kind === 'libvirt-pool' ? NOT_FOUND.pool : NOT_FOUND.volume);
    expect(planned(make())).toMatchObject({ action: 'create' });
  });
});

describe('not-found words of another kind of object', () => {
  it("the network is not absent because of a pool's or a volume's words", () => {
    answeringWith(NOT_FOUND.pool);
    expect(() => planned(new LibvirtNetworkResource('grid-net'))).toThrow(PlanningError);
    answeringWith(NOT_FOUND.volume);
    expect(() => planned(new LibvirtNetworkResource('grid-net'))).toThrow(PlanningError);
  });

  it("the pool is not absent because of a network's or a volume's words", () => {
    answeringWith(NOT_FOUND.network);
    expect(() => planned(new LibvirtPoolResource())).toThrow(PlanningError);
    answeringWith(NOT_FOUND.volume);
    expect(() => planned(new LibvirtPoolResource())).toThrow(PlanningError);
  });

  it('the overlay disk in a pool libvirt does not have is absent: nothing in it to keep (the pool is planned before it)', () => {
    answeringWith(NOT_FOUND.pool);
    expect(planned(new SandboxDiskResource(image))).toMatchObject({ action: 'create' });
  });

  it("the overlay disk is not absent because of a network's words", () => {
    answeringWith(NOT_FOUND.network);
    expect(() => planned(new SandboxDiskResource(image))).toThrow(PlanningError);
  });
});

describe("virsh's own lookup line alone", () => {
  // virsh prints "failed to get network 'X'" (pool: "failed to get pool") whatever made its lookup
  // fail; only libvirt's line after it says the object is not there.
  it('a network or pool lookup that failed for another reason (access denied) is a plan error, not absent', () => {
    answeringWith("error: failed to get network 'grid-net'\nerror: access denied: 'network.getattr' denied");
    expect(() => planned(new LibvirtNetworkResource('grid-net'))).toThrow("n1: cannot read libvirt: error: access denied: 'network.getattr' denied");
    answeringWith(`error: failed to get pool '${SANDBOX_POOL}'\nerror: access denied: 'storage_pool.getattr' denied`);
    expect(() => planned(new LibvirtPoolResource())).toThrow(PlanningError);
  });
});

describe('the object is there', () => {
  it('the pool read prints its definition, which is planned against: nothing to change', () => {
    fake('virsh', `case " $* " in *" uri "*) echo qemu:///system;; *pool-dumpxml*) echo "<pool type='dir'><name>${SANDBOX_POOL}</name><target><path>${SANDBOX_POOL_PATH}</path></target></pool>";; *pool-info*) printf 'State: running\\nAutostart: yes\\n';; esac`);
    expect(planned(new LibvirtPoolResource())).toBeNull();
  });
});
