import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { probeSections } from '../../src/resources/probe-sections.js';
import { QEMU_CONF, QEMU_CONF_PROBE, checkQemuConf } from '../../src/resources/qemu-conf.js';
import { SandboxDomainResource, type SandboxSpec } from '../../src/resources/sandbox-domain.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node } from './fixtures.js';

/** The settings' lines of Debian 12's /etc/libvirt/qemu.conf (libvirt 9.0): every one commented out. */
const DEBIAN_DEFAULT = [
  '#security_driver = "selinux"',
  '#security_default_confined = 1',
  '#user = "libvirt-qemu"',
  '#user = "+0"     # Super user (uid=0)',
  '#group = "libvirt-qemu"',
  '#seccomp_sandbox = 1',
  '',
].join('\n');

/** What QEMU_CONF_PROBE prints for a qemu.conf with this text (a real shell and grep, on a copy of the file). */
const probeOf = (text: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-qemu-conf-'));
  try {
    writeFileSync(join(dir, 'qemu.conf'), text);
    return execSync(QEMU_CONF_PROBE.replace(QEMU_CONF, quote(join(dir, 'qemu.conf'))), { shell: '/bin/sh' }).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
const refusal = (text: string) => {
  try {
    checkQemuConf(probeOf(text), 'node-01');
    return undefined;
  } catch (e) {
    return e as PlanningError;
  }
};

describe("the node's qemu.conf: libvirt must confine QEMU", () => {
  it("Debian's defaults pass (user libvirt-qemu, security_driver unset: AppArmor where the kernel has it, else DAC)", () => {
    expect(probeOf(DEBIAN_DEFAULT)).toBe('');
    expect(refusal(DEBIAN_DEFAULT)).toBeUndefined();
    expect(refusal(`${DEBIAN_DEFAULT}user = "libvirt-qemu"\nsecurity_driver = "apparmor"\nseccomp_sandbox = 1\n`)).toBeUndefined();
    expect(refusal('')).toBeUndefined();
  });

  it('words in a comment are not values: a trailing comment that names root refuses nothing', () => {
    expect(refusal(`${DEBIAN_DEFAULT}user = "libvirt-qemu"   # never "root"\nsecurity_driver = "apparmor" # not "none"\n`)).toBeUndefined();
    expect(refusal('seccomp_sandbox = 1 # not 0\nsecurity_default_confined = 1\n')).toBeUndefined();
    // -1 (or unset) is libvirt's "on wherever QEMU is 2.11 or later": not a refusal.
    expect(refusal(`${DEBIAN_DEFAULT}seccomp_sandbox = -1\n`)).toBeUndefined();
  });

  it('a group, private /dev namespace and device list that keep QEMU confined pass: a non-zero id, the mount namespace, a part of the default list', () => {
    expect(refusal(`${DEBIAN_DEFAULT}user = "+64055"\ngroup = "kvm"\n`)).toBeUndefined();
    expect(refusal('user = "100"\ngroup = "+10"\nnamespaces = [ "mount" ]\n')).toBeUndefined();
    expect(refusal('cgroup_device_acl = [\n    "/dev/null", "/dev/full", "/dev/zero",\n    "/dev/random", "/dev/urandom",\n    "/dev/ptmx", "/dev/kvm",\n    "/dev/userfaultfd"\n]\n')).toBeUndefined();
    expect(refusal('cgroup_device_acl = [ "/dev/null", "/dev/kvm" ]\n')).toBeUndefined();
  });

  /**
   * A node upgraded from an older libvirt may keep that release's default list uncommented; it was
   * refused as devices beyond the default (review lab 5). libvirt's own defaults pass.
   */
  it.each([
    ['kqemu, rtc, hpet and vfio/vfio', '"/dev/null", "/dev/full", "/dev/zero",\n    "/dev/random", "/dev/urandom",\n    "/dev/ptmx", "/dev/kvm", "/dev/kqemu",\n    "/dev/rtc","/dev/hpet", "/dev/vfio/vfio"'],
    ['kqemu, rtc, hpet and sev', '"/dev/null", "/dev/full", "/dev/zero",\n    "/dev/random", "/dev/urandom",\n    "/dev/ptmx", "/dev/kvm", "/dev/kqemu",\n    "/dev/rtc","/dev/hpet", "/dev/sev"'],
    ['kqemu and rtc', '"/dev/null", "/dev/full", "/dev/zero",\n    "/dev/random", "/dev/urandom",\n    "/dev/ptmx", "/dev/kvm", "/dev/kqemu",\n    "/dev/rtc"'],
  ])("an older libvirt's default device list passes (%s)", (_release, devices) => {
    expect(refusal(`${DEBIAN_DEFAULT}cgroup_device_acl = [\n    ${devices}\n]\n`)).toBeUndefined();
  });

  it('runs one sed, not a shell loop (dash reads a file a byte per system call in one), and prints only the settings it judges', () => {
    expect(QEMU_CONF_PROBE.match(/\bsed\b/g)).toHaveLength(1);
    expect(QEMU_CONF_PROBE).not.toMatch(/\bwhile\b|\bgrep\b|\bawk\b/);
    expect(probeOf('# user = "root"\n  user = "libvirt-qemu"\nremember_owner = 0\nuser_x = 1\n')).toBe('user = "libvirt-qemu"\n');
    expect(probeOf('group = "kvm"\ncgroup_controllers = [ "cpu" ]\nnamespaces = [ "mount" ]\n')).toBe('group = "kvm"\nnamespaces = [ "mount" ]\n');
  });

  it.each([
    ['user = "root"', 'user = "root"'],
    ['  user="+0"   # as root', 'user = "+0"'],
    ['security_driver = "none"', 'security_driver = "none"'],
    ['security_driver = [ "selinux", "none" ]', 'security_driver = "none"'],
    ['seccomp_sandbox = 0', 'seccomp_sandbox = "0"'],
    // A bare number is a uid: 0 is root.
    ['user = "0"', 'user = "0"'],
    ["user = '+0'", 'user = "+0"'],
    ['security_default_confined = 0', 'security_default_confined = "0"'],
    // A list over several lines: the setting goes on to its `]`.
    ['security_driver = [ "selinux",\n   "none" ]', 'security_driver = "none"'],
    ['security_driver = [ "selinux",   # the first\n  # "apparmor",\n   "none"\n ]', 'security_driver = "none"'],
    // No spaces around the `=`.
    ['user="root"', 'user = "root"'],
    // libvirt reads any number as a uid or gid (virGetUserID, virGetGroupID): every spelling of 0 is root.
    ['user = "+00"', 'user = "+00"'],
    ['user = "00"', 'user = "00"'],
    ['group = "root"', 'group = "root"'],
    ['group = "0"', 'group = "0"'],
    ['group = "+000"', 'group = "+000"'],
    // libvirt's private /dev for QEMU off: QEMU would see the node's whole /dev.
    ['namespaces = []', 'namespaces = []'],
    ['namespaces = [ ]', 'namespaces = []'],
    // A device beyond libvirt's default list.
    ['cgroup_device_acl = [ "/dev/null", "/dev/kvm", "/dev/sda" ]', 'cgroup_device_acl = [ ..., "/dev/sda" ]'],
    ['cgroup_device_acl = [\n    "/dev/null", "/dev/full", "/dev/zero",\n    "/dev/mem"\n]', 'cgroup_device_acl = [ ..., "/dev/mem" ]'],
    // A VFIO group (one device's IOMMU group) is not the container node libvirt listed.
    ['cgroup_device_acl = [ "/dev/kvm", "/dev/vfio/vfio", "/dev/vfio/12" ]', 'cgroup_device_acl = [ ..., "/dev/vfio/12" ]'],
  ])('%s is a plan error naming the node, the setting and what to do', (line, said) => {
    const e = refusal(`${DEBIAN_DEFAULT}${line}\n`);
    expect(e).toBeInstanceOf(PlanningError);
    expect(e!.message).toContain(`node-01: /etc/libvirt/qemu.conf sets ${said}`);
    expect(e!.hint).toMatch(/remove or comment out that line of \/etc\/libvirt\/qemu.conf on node-01.*systemctl restart libvirtd/);
  });

  it("is read in the sandbox's own probe (hypervisor nodes only), and refuses the plan there", () => {
    const INACTIVE = readFileSync(new URL('./fixtures/sandbox-inactive.xml', import.meta.url), 'utf8');
    const sha = /image="([0-9a-f]{64})"/.exec(INACTIVE)![1]!;
    const spec: SandboxSpec = { grid: 'lab', node: 'node-01', vcpus: 1, memoryMiB: 128, cpuShares: 1024, network: 'grid-net', image: { path: '/i', sha256: sha, format: 'raw', sizeBytes: 1, virtualSizeBytes: 1 }, hostReserveMiB: 512, kernelModules: [] };
    const r = new SandboxDomainResource(spec);
    expect(r.probe()).toContain(QEMU_CONF_PROBE);
    const f: HostFacts = { ...facts(), capSysResource: true, memoryBytes: 24 * 2 ** 30 };
    const stdout = (conf: string) => execSync(probeSections(...['absent\n', '', '', '', '', 'ip\n', conf].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();
    expect(r.diff(stdout(''), { node: node(), facts: f })?.action).toBe('create');
    expect(() => r.diff(stdout('user = "root"\n'), { node: node(), facts: f })).toThrow(/qemu.conf sets user = "root"/);
  });
});
