/**
 * SANDBOX_STATUS_SCRIPT run by sh with a fake `virsh` first on PATH: a libvirt that does not answer
 * (libvirtd stopped, permission denied) while the VM's definition is on disk is `unknown`, which
 * `status --strict` reports as unreadable, never `absent`, whose hint would say that apply defines
 * the VM. Without the definition libvirt has no such VM to start: `absent`, as the plan reads it.
 * The script runs under a test root (libvirt-host-root.ts) that holds the definition or not.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DOMAIN_DEFINITION } from '../../src/resources/libvirt-definitions.js';
import { SANDBOX_STATUS_SCRIPT, parseSandboxView } from '../../src/status/sandbox-view.js';
import { fakeLibvirtHost, underRoot } from '../resources/libvirt-host-root.js';

const host = fakeLibvirtHost();

/** The sandbox VM's persistent definition, where libvirt keeps it (under the test root). */
const defineOnDisk = () => {
  mkdirSync(dirname(join(host.root, DOMAIN_DEFINITION)), { recursive: true });
  writeFileSync(join(host.root, DOMAIN_DEFINITION), `<domain type='kvm'><name>gridops-sandbox</name></domain>\n`);
};
const script = () => underRoot(SANDBOX_STATUS_SCRIPT, host.root);

/** A `virsh` that runs this shell body with its arguments in "$@". */
const fakeVirsh = (body: string) => {
  writeFileSync(join(host.bin, 'virsh'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(host.bin, 'virsh'), 0o755);
};
const sandboxView = () => {
  const r = spawnSync('sh', ['-c', script()], { encoding: 'utf8', env: { ...process.env, PATH: `${host.bin}:${process.env.PATH}` } });
  expect(r.status).toBe(0);
  return parseSandboxView(r.stdout);
};
const connectionRefused = `echo "error: failed to connect to the hypervisor" >&2; echo "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory" >&2; exit 1`;

describe("the sandbox VM's state as status reads it", () => {
  it("libvirt not answering (libvirtd stopped), the VM's definition on disk: unknown, with virsh's last line, not absent", () => {
    fakeVirsh(connectionRefused);
    defineOnDisk();
    expect(sandboxView().state).toBe("unknown (libvirt not answering: error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory)");
  });

  it("libvirt not answering, no definition of the VM on disk: absent, as the plan reads it (libvirt has no such VM to start)", () => {
    fakeVirsh(connectionRefused);
    expect(sandboxView().state).toBe('absent');
  });

  it("libvirt not answering where libvirt's daemon is not installed, the definition on disk: unknown too (the plan's probes read that as absent, status does not)", () => {
    fakeVirsh(connectionRefused);
    defineOnDisk();
    const r = spawnSync('sh', ['-c', script()], { encoding: 'utf8', env: { PATH: `${host.bin}:/usr/bin:/bin` } });
    expect(parseSandboxView(r.stdout).state).toMatch(/^unknown \(libvirt not answering: .*libvirt-sock/);
  });

  it('libvirt answering, dominfo failing for another reason than a missing domain: unknown, with the reason', () => {
    fakeVirsh(`case " $* " in *" uri "*) echo qemu:///system;; *) echo "error: access denied: 'domain.read' denied" >&2; exit 1;; esac`);
    expect(sandboxView().state).toBe("unknown (error: access denied: 'domain.read' denied)");
  });

  it.each([
    ["virsh 9.0's bare line, no definition on disk (with one: domain-lookup-words.test.ts)", "error: failed to get domain 'gridops-sandbox'"],
    ["libvirt's own words", "error: failed to get domain 'gridops-sandbox'\nerror: Domain not found: no domain with matching name 'gridops-sandbox'"],
  ])('a domain libvirt does not know (%s): absent', (_libvirt, message) => {
    fakeVirsh(`case " $* " in *" uri "*) echo qemu:///system;; *) printf '%s\\n' "${message}" >&2; exit 1;; esac`);
    expect(sandboxView().state).toBe('absent');
  });

  it('a running domain: its state, type, vCPUs and memory', () => {
    fakeVirsh(`case " $* " in
  *" uri "*) echo qemu:///system;;
  *" dominfo "*) printf 'Id:             3\\nName:           gridops-sandbox\\nState:          running\\nCPU(s):         2\\nMax memory:     1048576 KiB\\n';;
  *" dumpxml "*) printf "<domain type='kvm' id='3'>\\n  <name>gridops-sandbox</name>\\n";;
esac`);
    expect(sandboxView()).toEqual({ state: 'running', type: 'kvm', vcpus: 2, memoryMiB: 1024 });
  });
});
