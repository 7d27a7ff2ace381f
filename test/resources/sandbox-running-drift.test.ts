import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { differingKeys, parseXml } from '../../src/resources/libvirt-xml.js';
import type { ImageFile } from '../../src/resources/image-file.js';
import { probeSections } from '../../src/resources/probe-sections.js';
import { dominfo } from './dominfo.js';
import { SandboxDomainResource, projectDomain, type SandboxSpec } from '../../src/resources/sandbox-domain.js';
import { overlayVolumeName } from '../../src/resources/sandbox-names.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node } from './fixtures.js';

/** Real libvirt 9.0 output (lab container, TCG): the definition gridops wrote as libvirt keeps it, and the running VM. */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const INACTIVE = fixture('sandbox-inactive.xml');
const LIVE = fixture('sandbox-live.xml');
const IMAGE_SHA = /image="([0-9a-f]{64})"/.exec(INACTIVE)![1]!;
const image: ImageFile = { path: '/images/sandbox.img', sha256: IMAGE_SHA, format: 'raw', sizeBytes: 11534336, virtualSizeBytes: 11534336 };
const spec = (over: Partial<SandboxSpec> = {}): SandboxSpec => ({ grid: 'lab', node: 'node-01', vcpus: 1, memoryMiB: 128, cpuShares: 1024, network: 'grid-net', image, hostReserveMiB: 512, kernelModules: [], ...over });
const labFacts = (): HostFacts => ({ ...facts(), cpu: { cores: 2, virtFlags: [] }, kvm: { device: true, usable: true, nested: false }, capSysResource: false, memoryBytes: 24 * 2 ** 30 });
const ctx = () => ({ node: node(), facts: labFacts() });
/** What the domain's probe prints, as a real shell joins its sections. */
const probed = (state: string, inactive: string, live: string) =>
  execSync(probeSections(...[dominfo(state), inactive, live, '', '', 'ip\n'].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();
const project = (xml: string) => projectDomain(parseXml(xml, 'domain')!);
/** The definition's lines that keep nested virtualisation off (AMD-V, VT-x), as libvirt writes them back. */
const SVM_OFF = "<feature policy='disable' name='svm'/>";
const VMX_OFF = "<feature policy='disable' name='vmx'/>";
const NESTED_KEY = '/domain/cpu/feature[@name=vmx|svm]';

/**
 * The plan compares the running VM with the wanted definition too, not only `dumpxml --inactive`:
 * a device attached with `virsh attach-device --live` is in the running VM only, and a run that
 * redefined the VM but could not restart it leaves the old one running under a new definition.
 */
describe('sandbox domain: the running VM against the wanted definition', () => {
  it('a VM running what gridops defined is no change (what libvirt fills in at start is not drift)', () => {
    expect(new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, LIVE), ctx())?.action).toBe('none');
  });

  it('a USB host device and the node\'s /dev/sda attached live (attach-device --live) are a restart, and the plan says why', () => {
    const hot = LIVE.replace(
      '</devices>',
      "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/><product id='0xc52b'/></source><alias name='hostdev0'/></hostdev>\n<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='/dev/sda'/><target dev='vdb' bus='virtio'/><alias name='virtio-disk1'/></disk>\n</devices>",
    );
    const change = new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, hot), ctx())!;
    expect(change.steps).toContain('restart');
    expect(change.steps).not.toContain('redefine');
    expect(change.fields).toContainEqual({ name: 'count(/domain/devices/hostdev) (running VM)', before: '1', after: '0' });
    expect(change.fields.map((f) => f.name)).toContain('/domain/devices/*[not allowed] (running VM)');
    expect(change.needsRestart).toMatch(/running VM differs from its definition: .*count\(\/domain\/devices\/hostdev\)/);
    expect(change.summary).toMatch(/running VM differs from its definition/);
    expect(change.diff).toContain('-count(/domain/devices/hostdev) (running VM) = 1\n');
    expect(change.diff).toContain('+count(/domain/devices/hostdev) (running VM) = 0');
  });

  it('a definition on the new image while the VM still runs the old one (its restart failed) is a restart, and the old overlay goes after it', () => {
    const NEW = 'ab'.repeat(32);
    const redefined = INACTIVE.replaceAll(IMAGE_SHA, NEW).replaceAll(IMAGE_SHA.slice(0, 16), NEW.slice(0, 16));
    const change = new SandboxDomainResource(spec({ image: { ...image, sha256: NEW } })).diff(probed('running', redefined, LIVE), ctx())!;
    expect(change.steps).toEqual(['restart', 'live']);
    expect(change.fields).toContainEqual({ name: '/domain/devices/disk/source/@file (running VM)', before: `/var/lib/gridops/images/${overlayVolumeName(IMAGE_SHA)}`, after: `/var/lib/gridops/images/${overlayVolumeName(NEW)}` });
    expect(change.needsRestart).toMatch(/running VM differs from its definition/);
    expect(change.previous).toEqual({ disk: `/var/lib/gridops/images/${overlayVolumeName(IMAGE_SHA)}`, imageVolume: IMAGE_SHA });
  });

  it('a paused VM still on the old image (its restart failed on it) is restarted, not resumed on it', () => {
    const NEW = 'ab'.repeat(32);
    const redefined = INACTIVE.replaceAll(IMAGE_SHA, NEW).replaceAll(IMAGE_SHA.slice(0, 16), NEW.slice(0, 16));
    const change = new SandboxDomainResource(spec({ image: { ...image, sha256: NEW } })).diff(probed('paused', redefined, LIVE), ctx())!;
    expect(change.steps).toEqual(['restart', 'live']);
    expect(change.needsRestart).toMatch(/running VM differs from its definition: .*\/domain\/devices\/disk\/source\/@file/);
  });

  // Run in a shell with a fake virsh for each state: libvirt-not-answering.test.ts.
  it('the probe reads the XML of an active VM in any state, a paused one too', () => {
    const probe = new SandboxDomainResource(spec()).probe();
    expect(probe).toContain(`in *'shut off') ;; *) virsh -q -c qemu:///system dumpxml gridops-sandbox`);
  });

  it('a VM running as root (a dynamic DAC label +0:+0, from qemu.conf\'s user) is a restart', () => {
    const asRoot = LIVE.replaceAll('+64055:+64055', '+0:+0');
    const change = new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, asRoot), ctx())!;
    expect(change.steps).toContain('restart');
    expect(change.fields.map((f) => f.name)).toEqual(['/domain/seclabel (running VM)']);
  });
  it.each([
    ['root as a number of more zeros', '+00:+64055'],
    ["root's group (qemu.conf's group = \"0\")", '+64055:+0'],
    ["root's group by name", '+64055:root'],
  ])('a VM running with %s in its dynamic DAC label is a restart', (_what, label) => {
    const weakened = LIVE.replaceAll('+64055:+64055', label);
    expect(weakened).not.toBe(LIVE);
    const change = new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, weakened), ctx())!;
    expect(change.steps).toContain('restart');
    expect(change.fields.map((f) => f.name)).toEqual(['/domain/seclabel (running VM)']);
  });

  it("a running VM's <seclabel type='none' model='none'/>, libvirt's word for a host with no MAC driver, is no change (qemu.conf's check covers the host)", () => {
    const noDriver = LIVE.replace('</devices>', "</devices>\n  <seclabel type='none' model='none'/>");
    expect(noDriver).not.toBe(LIVE);
    expect(new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, noDriver), ctx())?.action).toBe('none');
  });
});

/**
 * Settings outside <devices> that undo QEMU's confinement or hand the guest a file of the node, and
 * the NIC filter's parameters, are owned: a definition that has one differs from gridops' own (and
 * is replaced, with a restart).
 */
describe('sandbox domain: confinement, node files and the NIC filter', () => {
  it.each([
    ['no security label at all', '</devices>', "</devices>\n  <seclabel type='none'/>"],
    ['QEMU as root (a static DAC label)', '</devices>', "</devices>\n  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>"],
    ['images left unlabelled', '</devices>', "</devices>\n  <seclabel type='dynamic' model='apparmor' relabel='no'/>"],
    ['a kernel read from the node', "<boot dev='hd'/>", "<kernel>/root/.ssh/id_ed25519</kernel><boot dev='hd'/>"],
    ['an initrd read from the node', "<boot dev='hd'/>", "<initrd>/etc/shadow</initrd><boot dev='hd'/>"],
    ['a firmware read from the node', "<boot dev='hd'/>", "<loader readonly='yes' type='pflash'>/etc/shadow</loader><boot dev='hd'/>"],
    ['a device tree read from the node', "<boot dev='hd'/>", "<dtb>/etc/shadow</dtb><boot dev='hd'/>"],
    ["an ACPI table read from the node", "<boot dev='hd'/>", "<acpi><table type='slic'>/etc/shadow</table></acpi><boot dev='hd'/>"],
    ["clean-traffic told the bridge's address is the guest's too (it may then send from it)", "<filterref filter='clean-traffic'/>", "<filterref filter='clean-traffic'><parameter name='IP' value='172.31.254.1'/></filterref>"],
    ['a NIC option ROM read from the node', "<model type='virtio'/>", "<model type='virtio'/><rom file='/etc/shadow'/>"],
    ["the host's CPU passed through", "<cpu mode='custom'", "<cpu mode='host-passthrough'"],
    ["the host's CPU model", "<cpu mode='custom'", "<cpu mode='host-model'"],
    ['memory backed by a shared file', '<devices>', "<memoryBacking><source type='file'/><access mode='shared'/></memoryBacking>\n  <devices>"],
    ["I/O tuning that names the node's block device", '<devices>', "<blkiotune><device><path>/dev/sda</path><weight>100</weight></device></blkiotune>\n  <devices>"],
    ['a file of the node handed to the guest through fw_cfg', '<devices>', "<sysinfo type='fwcfg'><entry name='opt/com.example/key' file='/root/.ssh/id_ed25519'/></sysinfo>\n  <devices>"],
    ["the host's SMBIOS tables", "<boot dev='hd'/>", "<boot dev='hd'/><smbios mode='host'/>"],
    ['nested virtualisation required (Intel)', VMX_OFF, "<feature policy='require' name='vmx'/>"],
    ['nested virtualisation forced (AMD)', SVM_OFF, "<feature policy='force' name='svm'/>"],
    ['nested virtualisation where the host has it', VMX_OFF, "<feature policy='optional' name='vmx'/>"],
    ['nested virtualisation by the default policy (require)', SVM_OFF, "<feature name='svm'/>"],
    ["AMD-V's disable removed (qemu64 has svm: the guest gets it on an AMD node that allows nested guests)", SVM_OFF, ''],
    ["VT-x's disable removed", VMX_OFF, ''],
    ['no <cpu> at all (a definition before gridops disabled both)', /<cpu [\s\S]*<\/cpu>/, ''],
  ])('%s differs', (_what, anchor, replacement) => {
    const changed = INACTIVE.replace(anchor, replacement);
    expect(changed).not.toBe(INACTIVE);
    expect(differingKeys(project(INACTIVE), project(changed))).not.toEqual([]);
  });

  it('forbid in place of disable keeps nested virtualisation off too, and another feature is not drift', () => {
    for (const [anchor, replacement] of [[VMX_OFF, "<feature policy='forbid' name='vmx'/>"], [SVM_OFF, "<feature policy='forbid' name='svm'/>"], [SVM_OFF, `${SVM_OFF}<feature policy='require' name='x2apic'/>`]] as const) {
      const changed = INACTIVE.replace(anchor, replacement);
      expect(changed).not.toBe(INACTIVE);
      expect([replacement, differingKeys(project(INACTIVE), project(changed))]).toEqual([replacement, []]);
    }
  });

  it("a virsh edit that takes AMD-V's disable out is replaced, with a restart, and the plan says which", () => {
    const edited = INACTIVE.replace(SVM_OFF, '');
    const change = new SandboxDomainResource(spec()).diff(probed('running', edited, LIVE.replace(SVM_OFF, '')), ctx())!;
    expect(change.steps).toContain('restart');
    expect(change.fields).toContainEqual({ name: NESTED_KEY, before: "svm=qemu64's default, vmx=off", after: 'svm=off, vmx=off' });
  });

  it('a running VM whose svm is turned on behind the definition (its live XML) is a restart', () => {
    const change = new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, LIVE.replace(SVM_OFF, "<feature policy='require' name='svm'/>")), ctx())!;
    expect(change.steps).toContain('restart');
    expect(change.fields).toContainEqual({ name: `${NESTED_KEY} (running VM)`, before: 'svm=require, vmx=off', after: 'svm=off, vmx=off' });
  });

  it("libvirt's other forms of the running VM's <cpu> (a topology, check='full', the features it fills in, another order) are no change", () => {
    const reformed = LIVE.replace(/<cpu [\s\S]*<\/cpu>/, `<cpu check='full' match='exact' mode='custom'>
    <model fallback='forbid'>qemu64</model>
    <topology sockets='1' dies='1' clusters='1' cores='1' threads='1'/>
    <feature policy='require' name='x2apic'/>
    <feature name='vmx' policy='disable'/>
    <feature policy='require' name='hypervisor'/>
    <feature name='svm' policy='disable'/>
  </cpu>`);
    expect(reformed).not.toBe(LIVE);
    expect(new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, reformed), ctx())?.action).toBe('none');
  });

  it("a sandbox edited to hand the guest a node file through fw_cfg is replaced, with a restart", () => {
    const edited = INACTIVE.replace('<devices>', "<sysinfo type='fwcfg'><entry name='opt/x' file='/etc/shadow'/></sysinfo>\n  <devices>");
    const change = new SandboxDomainResource(spec()).diff(probed('running', edited, LIVE), ctx())!;
    expect(change.steps).toContain('restart');
    expect(change.fields.map((f) => f.name)).toContain('/domain/sysinfo[@type=fwcfg]/entry/@file');
  });

  it("libvirt's own additions (a dynamic DAC label of libvirt-qemu, the CPU model it picks) are not drift", () => {
    expect(differingKeys(project(INACTIVE), project(LIVE)).filter((k) => !k.startsWith('/domain/memtune/'))).toEqual([]);
    const wanted = project(new SandboxDomainResource(spec()).xml(labFacts()));
    expect(differingKeys(wanted, project(INACTIVE))).toEqual([]);
  });
});
