/**
 * SANDBOX_STATUS_SCRIPT run by sh with a fake `virsh` first on PATH: a libvirt that does not answer
 * (libvirtd stopped, permission denied) is `unknown`, which `status --strict` reports as unreadable,
 * never `absent`, whose hint would say that apply defines the VM.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_STATUS_SCRIPT, parseSandboxView } from '../../src/status/sandbox-view.js';

let bin: string;
beforeEach(() => (bin = mkdtempSync(join(tmpdir(), 'gridops-fake-virsh-'))));
afterEach(() => rmSync(bin, { recursive: true, force: true }));

/** A `virsh` that runs this shell body with its arguments in "$@". */
const fakeVirsh = (body: string) => {
  writeFileSync(join(bin, 'virsh'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, 'virsh'), 0o755);
};
const sandboxView = () => {
  const r = spawnSync('sh', ['-c', SANDBOX_STATUS_SCRIPT], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  expect(r.status).toBe(0);
  return parseSandboxView(r.stdout);
};
const connectionRefused = `echo "error: failed to connect to the hypervisor" >&2; echo "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory" >&2; exit 1`;

describe("the sandbox VM's state as status reads it", () => {
  it('libvirt not answering (libvirtd stopped): unknown, with virsh\'s last line, not absent', () => {
    fakeVirsh(connectionRefused);
    expect(sandboxView().state).toBe("unknown (libvirt not answering: error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory)");
  });

  it("libvirt not answering where libvirt's daemon is not installed: unknown too (the plan's probes read that as absent, status does not)", () => {
    fakeVirsh(connectionRefused);
    const r = spawnSync('sh', ['-c', SANDBOX_STATUS_SCRIPT], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(parseSandboxView(r.stdout).state).toMatch(/^unknown \(libvirt not answering: .*libvirt-sock/);
  });

  it('libvirt answering, dominfo failing for another reason than a missing domain: unknown, with the reason', () => {
    fakeVirsh(`case " $* " in *" uri "*) echo qemu:///system;; *) echo "error: access denied: 'domain.read' denied" >&2; exit 1;; esac`);
    expect(sandboxView().state).toBe("unknown (error: access denied: 'domain.read' denied)");
  });

  it.each([
    ['older libvirt', "error: failed to get domain 'gridops-sandbox'"],
    ['newer libvirt', "error: failed to get domain 'gridops-sandbox'\nerror: Domain not found: no domain with matching name 'gridops-sandbox'"],
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
