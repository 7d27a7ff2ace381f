import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { applyPlan } from '../../src/engine/applier.js';
import type { ApplyEvent } from '../../src/engine/gate.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import { PlanningError } from '../../src/errors/index.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import type { SandboxDomainChange } from '../../src/plan/change.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import type { ImageFile } from '../../src/resources/image-file.js';
import { checkGridNetRoutes } from '../../src/resources/grid-net-routes.js';
import { LibvirtNetworkResource, projectNetwork } from '../../src/resources/libvirt-network.js';
import { escapeXml, parseXml, type XmlNode } from '../../src/resources/libvirt-xml.js';
import { probeSections } from '../../src/resources/probe-sections.js';
import { dominfo } from './dominfo.js';
import type { Resource } from '../../src/resources/resource.js';
import { SandboxDomainResource, projectDomain, qemuOverheadMiB, type SandboxSpec } from '../../src/resources/sandbox-domain.js';
import { setMemoryLive } from '../../src/resources/sandbox-balloon.js';
import { replaceDefinition } from '../../src/resources/sandbox-replace.js';
import { SandboxImageResource } from '../../src/resources/sandbox-image.js';
import { TAP_BRIDGE_PROBE, attachTap, reattachDetachedTap } from '../../src/resources/sandbox-tap.js';
import { SANDBOX_POOL_PATH, SANDBOX_STAGED_IMAGE, SANDBOX_STAGING_PATH, baseVolumeName, gridBridgeName, overlayVolumeName, sandboxMac, sandboxUuid } from '../../src/resources/sandbox-names.js';
import { quote } from '../../src/transport/quote.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, node } from './fixtures.js';

/**
 * Real libvirt 9.0 output (lab container, TCG): libvirt's rewrite of the definition gridops wrote,
 * with the partition (/grid) and the swap limit as libvirt writes them back (the e2e reads them from libvirt).
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const INACTIVE = fixture('sandbox-inactive.xml');
const LIVE = fixture('sandbox-live.xml');
/** The grid network an earlier gridops made (real libvirt 9.0 output): no <dns>, so libvirt's dnsmasq resolved for the guest. */
const NETWORK_WITH_DNS = fixture('grid-net.xml');
/** Today's: libvirt writes <dns enable='no'/> back after <mac> (virNetworkDefFormatBuf's order). */
const NETWORK = NETWORK_WITH_DNS.replace("<mac address='52:54:00:d9:1a:54'/>\n", "$&  <dns enable='no'/>\n");
const IMAGE_SHA = /image="([0-9a-f]{64})"/.exec(INACTIVE)![1]!;

const image: ImageFile = { path: '/images/sandbox.img', sha256: IMAGE_SHA, format: 'raw', sizeBytes: 11534336, virtualSizeBytes: 11534336 };
const spec = (over: Partial<SandboxSpec> = {}): SandboxSpec => ({ grid: 'lab', node: 'node-01', vcpus: 1, memoryMiB: 128, cpuShares: 1024, network: 'grid-net', image, hostReserveMiB: 512, kernelModules: [], ...over });
/** A lab container: /dev/kvm opens but the CPU shows no vmx/svm, and no CAP_SYS_RESOURCE. */
const labFacts = (over: Partial<HostFacts> = {}): HostFacts => ({ ...facts(), cpu: { cores: 2, virtFlags: [] }, kvm: { device: true, usable: true, nested: false }, capSysResource: false, memoryBytes: 24 * 2 ** 30, ...over });
const ctx = (f = labFacts()) => ({ node: node(), facts: f });
/** What the domain's probe prints: dominfo (or `absent`), inactive XML, live XML, volumes, the tap's bridge, ip — as a real shell joins them. */
const probed = (state: string, inactive: string, live: string, autostart = 'enable', volumes = '', tap = '', tools = 'ip\n') =>
  execSync(probeSections(...[dominfo(state, autostart), inactive, live, volumes, tap, tools].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();

describe('sandbox domain: owned XPaths only', () => {
  it("libvirt's own rewrites of the definition (units, machine, cpu, pci addresses, implicit devices) are not drift", () => {
    const change = new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, LIVE), ctx());
    expect(change?.action).toBe('none');
    expect(change?.summary).toMatch(/TCG.*no vmx\/svm/);
  });

  it('a new cpuShares is one live change, applied with --live --config and no restart', () => {
    const change = new SandboxDomainResource(spec({ cpuShares: 2048 })).diff(probed('running', INACTIVE, LIVE), ctx())!;
    expect(change).toMatchObject({ action: 'update', steps: ['live'], live: [{ setting: 'cpuShares', value: 2048, config: true }] });
    expect(change.needsRestart).toBeUndefined();
    expect(change.fields.map((f) => f.name)).toEqual(['/domain/cputune/shares', '/domain/cputune/shares (live)']);
    expect(change.diff).toContain('-/domain/cputune/shares (live) = 1024\n+/domain/cputune/shares (live) = 2048');
  });

  it('virsh setmem behind gridops\' back is exactly that drift, set back live', () => {
    const live = LIVE.replace(/<currentMemory unit='KiB'>\d+</, "<currentMemory unit='KiB'>102400<");
    const change = new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, live), ctx())!;
    expect(change.fields).toEqual([{ name: '/domain/currentMemory (live)', before: '102400', after: '131072' }]);
    expect(change.live).toEqual([{ setting: 'currentMemoryKiB', value: 131072, config: true }]);
  });

  it('the memory hard limit lives on the running VM where libvirt cannot raise RLIMIT_MEMLOCK, and is drift when missing there', () => {
    const live = LIVE.replace(/\s*<memtune>[\s\S]*?<\/memtune>/, '');
    const change = new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, live), ctx())!;
    expect(change.live).toEqual([
      { setting: 'hardLimitKiB', value: (128 + 194 + 64) * 1024, config: false },
      { setting: 'swapHardLimitKiB', value: (128 + 194 + 64) * 1024, config: false },
    ]);
    const withCap = new SandboxDomainResource(spec()).xml(labFacts({ capSysResource: true }));
    expect(withCap).toContain('<hard_limit unit="MiB">386</hard_limit>');
  });

  it('a paused VM (virsh suspend, a full disk) is resumed, not started: start fails on an active domain', async () => {
    const r = new SandboxDomainResource(spec());
    const stopped = r.diff(probed('shut off', INACTIVE, ''), ctx())!;
    expect(stopped.steps).toContain('start');
    const paused = r.diff(probed('paused', INACTIVE, ''), ctx())!;
    expect(paused.steps).toContain('resume');
    expect(paused.steps).not.toContain('start');
    expect(paused.fields).toContainEqual({ name: 'state', before: 'paused', after: 'running' });
    const recorder = new StepRecorder('n1');
    await r.apply(paused, recorder, ctx());
    expect(recorder.steps.map((s) => s.command)).toContain('virsh -q -c qemu:///system resume gridops-sandbox >/dev/null');
    expect(recorder.steps.map((s) => s.command).join('\n')).not.toContain(' start gridops-sandbox');
  });

  it("volumes of an image replaced without --replace-sandbox and then given back are removed; what the VM or the wanted image uses, and others' volumes, stay", async () => {
    const other = 'cd'.repeat(32);
    // As virsh prints it: a table of name and path (a header where not quiet).
    const volumes = [' Name   Path', '-------------', ...[baseVolumeName(IMAGE_SHA, 'raw'), overlayVolumeName(IMAGE_SHA), baseVolumeName(other, 'qcow2'), overlayVolumeName(other), 'someone-elses.qcow2'].map((v) => ` ${v}   /var/lib/gridops/images/${v}`), ''].join('\n');
    const r = new SandboxDomainResource(spec());
    const change = r.diff(probed('running', INACTIVE, LIVE, 'enable', volumes), ctx())!;
    expect(change).toMatchObject({ action: 'update', steps: ['prune'], unusedVolumes: [baseVolumeName(other, 'qcow2'), overlayVolumeName(other)] });
    expect(change.summary).toBe('remove 2 unused volumes from pool gridops (TCG, software emulation: no vmx/svm CPU flag)');
    const recorder = new StepRecorder('n1');
    await r.apply(change, recorder, ctx());
    expect(recorder.steps.map((s) => s.command)).toEqual([baseVolumeName(other, 'qcow2'), overlayVolumeName(other)].map((v) => `virsh -q -c qemu:///system vol-delete --pool gridops ${v} >/dev/null`));
    // The other image wanted while the VM still runs on this one (its replacement refused or pending): both stay.
    const pending = new SandboxDomainResource(spec({ image: { ...image, sha256: other, format: 'qcow2' } })).diff(probed('running', INACTIVE, LIVE, 'enable', volumes), ctx())!;
    expect(pending.steps).not.toContain('prune');
    expect(pending.unusedVolumes).toBeUndefined();
    // A definition already on the other image while the VM still runs on this one (its restart failed): this one's volumes are in use.
    const redefined = INACTIVE.replaceAll(IMAGE_SHA, other).replaceAll(IMAGE_SHA.slice(0, 16), other.slice(0, 16));
    const running = new SandboxDomainResource(spec({ image: { ...image, sha256: other, format: 'qcow2' } })).diff(probed('running', redefined, LIVE, 'enable', volumes), ctx());
    expect(running?.steps ?? []).not.toContain('prune');
    // Nothing unused: no change, as before.
    expect(r.diff(probed('running', INACTIVE, LIVE, 'enable', volumes.split('\n').slice(0, 4).join('\n')), ctx())?.action).toBe('none');
  });

  it('a new image says the VM must be recreated (restart), names the old overlay for removal', () => {
    const other = { ...image, sha256: 'ab'.repeat(32) };
    const change = new SandboxDomainResource(spec({ image: other })).diff(probed('running', INACTIVE, LIVE), ctx())!;
    expect(change.needsRestart).toMatch(/must restart/);
    expect(change.summary).toMatch(/recreate the sandbox VM on image abababababab/);
    expect(change.steps).toEqual(['redefine', 'restart', 'live']);
    expect(change.previous).toEqual({ disk: `/var/lib/gridops/images/sandbox-${IMAGE_SHA.slice(0, 16)}.qcow2`, imageVolume: IMAGE_SHA });
  });

  it("a new UUID (a renamed node's) replaces the definition: undefined first, then defined, started and set to autostart", () => {
    const change = new SandboxDomainResource(spec({ node: 'node-11' })).diff(probed('running', INACTIVE, LIVE), ctx())!;
    expect(change.fields.map((f) => f.name)).toContain('/domain/uuid');
    expect(change.needsRestart).toMatch(/must restart/);
    expect(change.steps).toEqual(['replace', 'start', 'autostart', 'live']);
  });

  it('a managed-save image (the guest\'s memory) refuses a replace at plan time, with what to do on the node', () => {
    const saved = probed('shut off', INACTIVE, '', 'enable\nManaged save:   yes');
    expect(() => new SandboxDomainResource(spec({ node: 'node-11' })).diff(saved, ctx())).toThrow(/^n1: .*discard its managed-save image/);
    try {
      new SandboxDomainResource(spec({ node: 'node-11' })).diff(saved, ctx());
    } catch (e) {
      expect((e as PlanningError).hint).toMatch(/virsh start gridops-sandbox.*virsh managedsave-remove gridops-sandbox; then plan again/);
    }
  });

  it('a restart boots afresh (virsh start --force-boot), and the plan says a managed-save image is discarded', async () => {
    const other = { ...image, sha256: 'ab'.repeat(32) };
    const r = new SandboxDomainResource(spec({ image: other }));
    const change = r.diff(probed('shut off', INACTIVE, '', 'enable\nManaged save:   yes'), ctx())!;
    expect(change.steps).toContain('restart');
    expect(change.needsRestart).toMatch(/managed-save image .* is discarded/);
    expect(r.diff(probed('shut off', INACTIVE, ''), ctx())!.needsRestart).not.toMatch(/managed-save/);
    const recorder = new StepRecorder('n1');
    await r.apply(change, recorder, ctx());
    const restart = recorder.steps.find((s) => s.label === 'restart gridops-sandbox')!.command;
    expect(restart).toContain('virsh -q -c qemu:///system start --force-boot gridops-sandbox >/dev/null');
  });

  it.each([
    ['graphics', "<graphics type='vnc' port='-1'/>"],
    ['sound', "<sound model='ich6'/>"],
    ['hostdev', "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='0' slot='2' function='0'/></source></hostdev>"],
    ['redirdev', "<redirdev bus='usb' type='spicevmc'/>"],
    ['filesystem', "<filesystem type='mount'><source dir='/'/><target dir='host'/></filesystem>"],
  ])('an added %s device is drift that needs a restart', (name, element) => {
    const inactive = INACTIVE.replace('</devices>', `${element}\n</devices>`);
    const change = new SandboxDomainResource(spec()).diff(probed('running', inactive, LIVE), ctx())!;
    expect(change.fields).toEqual([{ name: `count(/domain/devices/${name})`, before: '1', after: '0' }]);
    expect(change.needsRestart).toBeDefined();
  });

  it('a USB controller that is not model none is drift', () => {
    const inactive = INACTIVE.replace(/<controller type='usb'[^>]*\/>/, "<controller type='usb' index='0' model='piix3-uhci'/>");
    expect(new SandboxDomainResource(spec()).diff(probed('running', inactive, LIVE), ctx())!.fields).toEqual([{ name: '/domain/devices/controller[@type=usb]/@model', before: 'piix3-uhci', after: 'none' }]);
  });

  it('KVM where /dev/kvm opens and the CPU has vmx or svm; TCG otherwise, with a bounded translation cache', () => {
    const r = new SandboxDomainResource(spec());
    expect(r.xml(labFacts({ cpu: { cores: 2, virtFlags: ['vmx'] } }))).toMatch(/<domain type="kvm">/);
    expect(r.xml(labFacts({ cpu: { cores: 2, virtFlags: ['vmx'] } }))).not.toContain('<tcg>');
    expect(r.xml(labFacts())).toMatch(/<domain type="qemu">[\s\S]*<tb-cache unit="MiB">64<\/tb-cache>/);
  });

  it('gives the guest no VT-x or AMD-V (no nested VMs on the node\'s KVM), under KVM and TCG alike, in the CPU model QEMU picks anyway', () => {
    const r = new SandboxDomainResource(spec());
    for (const f of [labFacts({ cpu: { cores: 2, virtFlags: ['svm'] } }), labFacts()]) {
      const cpu = parseXml(r.xml(f), 'domain')!.cpu as XmlNode[];
      expect(cpu).toHaveLength(1);
      // check='none': libvirt compares no host CPU with it (the lab runs TCG on whatever the machine has).
      expect(cpu[0]).toMatchObject({ '@mode': 'custom', '@match': 'exact', '@check': 'none' });
      expect((cpu[0]!.model as XmlNode[]).map((m) => [m['@fallback'], m['#text']])).toEqual([['forbid', 'qemu64']]);
      expect((cpu[0]!.feature as XmlNode[]).map((x) => `${x['@name']}=${x['@policy']}`).sort()).toEqual(['svm=disable', 'vmx=disable']);
      expect(projectDomain(parseXml(r.xml(f), 'domain')!)['/domain/cpu/feature[@name=vmx|svm]']).toBe('svm=off, vmx=off');
    }
  });

  it('has no I/O device for remote users, and a stable UUID and MAC from the grid and node names', () => {
    const p = projectDomain(parseXml(new SandboxDomainResource(spec()).xml(labFacts()), 'domain')!);
    for (const f of ['graphics', 'video', 'sound', 'hostdev', 'redirdev', 'filesystem']) expect(p[`count(/domain/devices/${f})`]).toBe('0');
    expect(p['/domain/devices/controller[@type=usb]/@model']).toBe('none');
    expect(p['/domain/uuid']).toBe(sandboxUuid('lab', 'node-01'));
    expect(sandboxUuid('lab', 'node-01')).toBe(sandboxUuid('lab', 'node-01'));
    expect(sandboxUuid('lab', 'node-02')).not.toBe(sandboxUuid('lab', 'node-01'));
    expect(sandboxMac('lab', 'node-01')).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(p['/domain/devices/interface/target/@dev']).toBe('gs-sandbox');
  });

  it('a node without room for the sandbox plus the host reserve is a plan error', () => {
    expect(() => new SandboxDomainResource(spec({ memoryMiB: 4096 })).diff(probed('absent', '', ''), ctx(labFacts({ memoryBytes: 4 * 2 ** 30 })))).toThrow(PlanningError);
    expect(() => new SandboxDomainResource(spec({ memoryMiB: 4096 })).diff(probed('absent', '', ''), ctx(labFacts({ memoryBytes: 4 * 2 ** 30 })))).toThrow(/cannot host the sandbox: it needs 4416 MiB .* keeps 512 MiB .* has 4096 MiB/);
  });
});

describe("the grid's caps hold for the sandbox VM", () => {
  const withCap = labFacts({ capSysResource: true });
  const kvmHost = labFacts({ capSysResource: true, cpu: { cores: 2, virtFlags: ['vmx'] } });
  const planOf = (over: Partial<SandboxSpec>, f = labFacts()) => new SandboxDomainResource(spec(over)).diff(probed('absent', '', ''), ctx(f));
  const thrown = (fn: () => unknown): PlanningError => {
    try {
      fn();
    } catch (error) {
      return error as PlanningError;
    }
    throw new Error('no error');
  };

  it("the VM runs in grid.slice (libvirt's partition /grid), so grid.slice's CPUQuota and MemoryMax hold it and cpuShares weighs it against other grid work", () => {
    const xml = new SandboxDomainResource(spec()).xml(withCap);
    expect(xml).toMatch(/<resource>\s*<partition>\/grid<\/partition>\s*<\/resource>/);
    expect(projectDomain(parseXml(xml, 'domain')!)['/domain/resource/partition']).toBe('/grid');
  });

  it("a VM defined before, in libvirt's default machine.slice, is drift that needs a restart (a running VM cannot change its cgroup)", () => {
    const inactive = INACTIVE.replace(/\s*<resource>[\s\S]*?<\/resource>/, '');
    const change = new SandboxDomainResource(spec()).diff(probed('running', inactive, LIVE), ctx())!;
    expect(change.fields).toEqual([{ name: '/domain/resource/partition', before: null, after: '/grid' }]);
    expect(change.needsRestart).toMatch(/\/domain\/resource\/partition/);
  });

  it("more vCPUs than the node's CPUs is a plan error naming the node, both numbers and what to write", () => {
    const e = thrown(() => planOf({ vcpus: 3 }));
    expect(e).toBeInstanceOf(PlanningError);
    expect(e.message).toBe('n1: hypervisor.sandbox.vcpus is 3, but n1 has 2 CPUs');
    expect(e.hint).toMatch(/set hypervisor\.sandbox\.vcpus to 2 or less for n1/);
    expect(planOf({ vcpus: 2 })!.steps).toContain('define');
  });

  it('a VM whose memory and QEMU overhead do not fit in qos.gridMemoryMiB is a plan error: grid.slice would OOM-kill QEMU first', () => {
    // README's example: 2 vCPUs, 2048 MiB under KVM: 2048 + 192 + 8 + 32 = 2280 MiB.
    const e = thrown(() => planOf({ vcpus: 2, memoryMiB: 2048, gridMemoryMiB: 2048 }, kvmHost));
    expect(e).toBeInstanceOf(PlanningError);
    expect(e.message).toBe("n1: the sandbox VM runs in grid.slice and needs 2280 MiB (2048 MiB of memory plus QEMU's own), but qos.gridMemoryMiB is 2048");
    expect(e.hint).toMatch(/set qos\.gridMemoryMiB to 2280 or more for n1, or lower hypervisor\.sandbox\.memoryMiB/);
    expect(planOf({ vcpus: 2, memoryMiB: 2048, gridMemoryMiB: 2280 }, kvmHost)!.steps).toContain('define');
  });

  it("QEMU's overhead grows with the VM: 192 MiB with one vCPU, 8 MiB per further vCPU, 1/64 of the guest's memory (and TCG's 64 MiB cache)", () => {
    expect(qemuOverheadMiB(1, 128)).toBe(194);
    expect(qemuOverheadMiB(2, 2048)).toBe(232);
    expect(qemuOverheadMiB(255, 4 * 2 ** 20)).toBe(192 + 8 * 254 + 65536);
    expect(new SandboxDomainResource(spec()).xml(withCap)).toContain('<hard_limit unit="MiB">386</hard_limit>');
    expect(new SandboxDomainResource(spec({ vcpus: 2, memoryMiB: 65536 })).xml(kvmHost)).toContain(`<hard_limit unit="MiB">${65536 + 192 + 8 + 1024}</hard_limit>`);
  });

  it('the VM may not swap: swap_hard_limit is its hard limit where the kernel accounts swap', () => {
    expect(new SandboxDomainResource(spec()).xml(withCap)).toContain('<swap_hard_limit unit="MiB">386</swap_hard_limit>');
    expect(projectDomain(parseXml(new SandboxDomainResource(spec()).xml(withCap), 'domain')!)['/domain/memtune/swap_hard_limit']).toBe(String(386 * 1024));
  });

  it('where the kernel does not account swap, no swap_hard_limit (libvirt would fail to start the VM) and the plan says so', () => {
    const f = labFacts({ capSysResource: true, swapAccounting: false });
    expect(new SandboxDomainResource(spec()).xml(f)).not.toContain('swap_hard_limit');
    expect(planOf({}, f)!.summary).toMatch(/n1's kernel does not account swap.*the VM's swap is not capped/);
    expect(planOf({})!.summary).not.toMatch(/swap/);
  });

  it('where libvirt cannot keep the hard limit in the definition, the swap limit goes live with it, in one memtune (cgroup v1 wants memsw >= memory at every step)', async () => {
    const live = LIVE.replace(/\s*<memtune>[\s\S]*?<\/memtune>/, '');
    const r = new SandboxDomainResource(spec());
    const change = r.diff(probed('running', INACTIVE, live), ctx())!;
    expect(change.live).toEqual([
      { setting: 'hardLimitKiB', value: 386 * 1024, config: false },
      { setting: 'swapHardLimitKiB', value: 386 * 1024, config: false },
    ]);
    const w = new StepRecorder('n1');
    await r.apply(change, w, ctx());
    const memtune = w.steps.filter((st) => st.command.includes('memtune'));
    expect(memtune).toHaveLength(1);
    expect(memtune[0]!.command).toMatch(/memtune gridops-sandbox --hard-limit 395264 --swap-hard-limit 395264 --live/);
  });

  it('KVM is expected where the CPU has vmx/svm and node-base loads its kvm_intel/kvm_amd in the same run, though /dev/kvm is not there yet', () => {
    const fresh = labFacts({ capSysResource: true, cpu: { cores: 2, virtFlags: ['vmx'] }, kvm: { device: false, usable: false, nested: false } });
    expect(new SandboxDomainResource(spec({ kernelModules: ['kvm-intel'] })).xml(fresh)).toMatch(/<domain type="kvm">/);
    expect(planOf({ kernelModules: ['kvm_intel'] }, fresh)!.summary).toMatch(/KVM: \/dev\/kvm comes with kvm_intel, which node-base loads/);
    expect(new SandboxDomainResource(spec({ kernelModules: ['kvm_amd'] })).xml(fresh)).toMatch(/<domain type="qemu">/);
    expect(new SandboxDomainResource(spec()).xml(fresh)).toMatch(/<domain type="qemu">/);
    const noModules = { ...fresh, kernel: { ...fresh.kernel, loadableModules: false } };
    expect(new SandboxDomainResource(spec({ kernelModules: ['kvm_intel'] })).xml(noModules)).toMatch(/<domain type="qemu">/);
  });
});

describe('sandbox cpuShares and the node\'s cgroups', () => {
  const plan = (cpuShares: number, cgroup: HostFacts['cgroup']) => new SandboxDomainResource(spec({ cpuShares })).diff(probed('absent', '', ''), ctx(labFacts({ cgroup })));

  it('a value cgroup v2 cannot take (libvirt: "shares must be in range [1, 10000]", at start, after define) is a plan error naming the setting, the range and the node', () => {
    expect(() => plan(10_001, 'v2')).toThrow(PlanningError);
    expect(() => plan(262_144, 'v2')).toThrow(/^n1: hypervisor\.sandbox\.cpuShares is 262144, but n1 has cgroup v2, where it must be 2 to 10000$/);
    expect(plan(10_000, 'v2')!.steps).toContain('define');
  });

  it('cgroup v1 (and hybrid, whose cpu controller is v1\'s) takes the whole schema range', () => {
    expect(plan(262_144, 'v1')!.steps).toContain('define');
    expect(plan(20_000, 'hybrid')!.steps).toContain('define');
  });
});

describe('hostile names and values', () => {
  const hostile = `n"/><hostdev mode='subsystem'/><x a="'; touch /tmp/pwned; '&amp;`;

  it('are XML-escaped: they come back from the parser as the same literal text, never as markup', () => {
    const r = new SandboxDomainResource(spec({ network: hostile, grid: hostile }));
    const p = projectDomain(parseXml(r.xml(labFacts()), 'domain')!);
    expect(p['/domain/devices/interface/source/@network']).toBe(hostile);
    expect(p['count(/domain/devices/hostdev)']).toBe('0');
    const net = projectNetwork(parseXml(new LibvirtNetworkResource(hostile).xml, 'network')!);
    expect(net['/network/name']).toBe(hostile);
    expect(escapeXml(`<a b='c'>&`)).toBe('&lt;a b=&apos;c&apos;&gt;&amp;');
    expect(() => escapeXml('bell\x07')).toThrow(/control character/);
  });

  it('reach virsh as single literal arguments (a real shell, a fake virsh that prints its argv)', () => {
    const bin = mkdtempSync(join(tmpdir(), 'gridops-virsh-'));
    try {
      // libvirt installed, and each read succeeds printing its arguments: the probe prints what a read that succeeds prints.
      writeFileSync(join(bin, 'virsh'), '#!/bin/sh\nfor a in "$@"; do printf "[%s]\\n" "$a"; done\n');
      writeFileSync(join(bin, 'libvirtd'), '#!/bin/sh\n');
      chmodSync(join(bin, 'virsh'), 0o755);
      chmodSync(join(bin, 'libvirtd'), 0o755);
      const out = execSync(new LibvirtNetworkResource(hostile).probe(), { shell: '/bin/sh', env: { PATH: `${bin}:/usr/bin:/bin` } }).toString();
      expect(out).toContain(`[net-dumpxml]\n[--inactive]\n[${hostile}]\n`);
      expect(out).toContain(`[net-info]\n[${hostile}]\n`);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('setting the memory live waits for the guest\'s balloon', () => {
  interface FakeVm {
    /** The balloon's size in each dumpxml, one per call, the last one from then on ('' prints no XML). */
    sizes: string[];
    /** domstate says `shut off` from this dumpxml call on. */
    stopsAfter?: number;
    setmemStatus?: number;
  }
  /** A fake virsh (setmem, domstate, dumpxml) in a real shell; what it was asked, one line per call. */
  const runWith = (vm: FakeVm, script: string): { status: number; stderr: string; calls: string[] } => {
    const bin = mkdtempSync(join(tmpdir(), 'gridops-balloon-'));
    try {
      const file = (name: string) => quote(join(bin, name));
      writeFileSync(join(bin, 'sizes'), vm.sizes.join('\n') + '\n');
      writeFileSync(join(bin, 'polls'), '0\n');
      writeFileSync(
        join(bin, 'virsh'),
        [
          '#!/bin/sh',
          `echo "$*" >> ${file('calls')}`,
          'case "$*" in',
          `  *setmem*) exit ${vm.setmemStatus ?? 0} ;;`,
          `  *domstate*) n=$(cat ${file('polls')}); if [ ${vm.stopsAfter ?? 1e6} -le "$n" ]; then echo 'shut off'; else echo running; fi; exit 0 ;;`,
          'esac',
          `n=$(cat ${file('polls')}); echo $((n + 1)) > ${file('polls')}`,
          `s=$(head -n 1 ${file('sizes')}); [ "$(wc -l < ${file('sizes')})" -gt 1 ] && sed -i 1d ${file('sizes')}`,
          '[ -n "$s" ] || { echo "error: failed to get domain" >&2; exit 1; }',
          `printf "<domain type='qemu' id='3'>\\n  <memory unit='KiB'>131072</memory>\\n  <currentMemory unit='KiB'>%s</currentMemory>\\n</domain>\\n" "$s"`,
        ].join('\n'),
      );
      chmodSync(join(bin, 'virsh'), 0o755);
      const r = spawnSync('/bin/sh', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8', timeout: 20_000 });
      let calls: string[] = [];
      try {
        calls = readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n');
      } catch {
        // virsh never ran
      }
      return { status: r.status ?? -1, stderr: r.stderr, calls };
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  };
  const V = '-q -c qemu:///system';
  const live = (waitS = 5) => setMemoryLive('gridops-sandbox', 131072, ['--live', '--config'], waitS);

  it('returns once the live XML shows the new size, after polling while the guest moves', () => {
    const r = runWith({ sizes: ['102400', '110000', '125000', '131072'] }, live());
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.calls[0]).toBe(`${V} setmem gridops-sandbox 131072KiB --live --config`);
    expect(r.calls.slice(1)).toEqual(Array(4).fill([`${V} domstate gridops-sandbox`, `${V} dumpxml gridops-sandbox`]).flat());
  });

  it('fails at its deadline with the size it got to when the guest never gets there', () => {
    const started = Date.now();
    const r = runWith({ sizes: ['102400'] }, live(1));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^the sandbox's memory balloon is at 102400 KiB after 1 s, asked 131072 KiB: .*virtio-balloon.*hung, paused or busy.*; the definition already has the new size\. Check the guest, then run apply again\n$/);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect(took).toBeLessThan(5_000);
  });

  it('says so when it cannot read the size (no virsh noise), and leaves the definition clause out without --config', () => {
    const r = runWith({ sizes: [''] }, setMemoryLive('gridops-sandbox', 131072, ['--live'], 1));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^the sandbox's memory balloon is at an unknown size after 1 s, asked 131072 KiB: [^;]*\. Check the guest/);
  });

  it('fails when the VM stops during the wait, though its stopped definition shows the new size', () => {
    const r = runWith({ sizes: ['102400', '110000', '131072'], stopsAfter: 2 }, live());
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('the sandbox VM stopped while its memory was being set to 131072 KiB: run apply again, which starts it\n');
  });

  it('stops at a failing setmem with its status, and polls nothing', () => {
    const r = runWith({ sizes: ['131072'], setmemStatus: 3 }, live());
    expect(r.status).toBe(3);
    expect(r.calls).toEqual([`${V} setmem gridops-sandbox 131072KiB --live --config`]);
  });

  it('does not wait on a VM that is not running (the definition only)', () => {
    const r = runWith({ sizes: ['102400'] }, setMemoryLive('gridops-sandbox', 131072, ['--config']));
    expect(r).toMatchObject({ status: 0, calls: [`${V} setmem gridops-sandbox 131072KiB --config`] });
  });
});

/** /proc/net/route's lines as the network's probe prints them (device, destination, mask), little-endian hex. */
const ROUTES = 'Iface Destination Mask\neth0 00000000 00000000\neth0 0000000A 00FFFFFF\n';
/** What the grid network's probe prints: the host's routes, the sandbox's tap's bridge and ip, then net-dumpxml and net-info, as a real shell joins them. */
const networkProbed = (xml: string, info: string, routes = ROUTES, tap = '', tools = 'ip\n') => execSync(probeSections(...[routes, tap, tools, xml, info].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();

describe('grid network', () => {
  it('libvirt\'s rewrite (uuid, mac, ...) is not drift; a forward element is', () => {
    const r = new LibvirtNetworkResource('grid-net');
    const info = 'Active:         yes\nAutostart:      yes\n';
    const out = (xml: string) => networkProbed(xml, info);
    expect(r.diff(out(NETWORK), ctx())).toBeNull();
    const nat = r.diff(out(NETWORK.replace('<name>grid-net</name>', "<name>grid-net</name>\n  <forward mode='nat'/>")), ctx())!;
    expect(nat.fields).toEqual([{ name: '/network/forward', before: 'mode=nat', after: '(none)' }]);
    expect(nat.steps).toEqual(['define', 'restart']);
    expect(gridBridgeName('grid-net')).toBe('gs-grid-net');
    expect(gridBridgeName('a-very-long-network-name').length).toBeLessThanOrEqual(15);
  });

  it("serves no DNS: libvirt's dnsmasq would forward the guest's queries to the node's resolvers, a way out past the isolation", () => {
    const r = new LibvirtNetworkResource('grid-net');
    expect(projectNetwork(parseXml(r.xml, 'network')!)['/network/dns/@enable']).toBe('no');
    // DHCP stays (dnsmasq runs with port=0, DHCP only).
    expect(projectNetwork(parseXml(r.xml, 'network')!)['/network/ip/dhcp/range/@start']).toBe('172.31.254.10');
    // A network an earlier gridops made, with libvirt's resolver, is drift: redefined and restarted.
    const change = r.diff(networkProbed(NETWORK_WITH_DNS, 'Active:         yes\nAutostart:      yes\n'), ctx())!;
    expect(change.fields).toEqual([{ name: '/network/dns/@enable', before: null, after: 'no' }]);
    expect(change.steps).toEqual(['define', 'restart']);
    // Closing it needs no --replace-sandbox (the VM keeps running, its tap put back): a plain apply after the upgrade converges.
    expect(change.needsRestart).toBeUndefined();
    // Any other restart still asks for it.
    const nat = r.diff(networkProbed(NETWORK.replace('<network>', "<network>\n  <forward mode='nat'/>"), 'Active:         yes\nAutostart:      yes\n'), ctx())!;
    expect(nat.needsRestart).toMatch(/must be restarted to change \/network\/forward/);
  });

  it.each([
    ['dnsmasq options', "<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>", "</network>", "  <dnsmasq:options>\n    <dnsmasq:option value='server=8.8.8.8'/>\n  </dnsmasq:options>\n</network>"],
    ['a route', '<network>', '</network>', "  <route address='10.0.0.0' prefix='8' gateway='172.31.254.2'/>\n</network>"],
    ['a second <ip> (IPv6 RA and DHCPv6)', '<network>', '</network>', "  <ip family='ipv6' address='fd00::1' prefix='64'><dhcp><range start='fd00::10' end='fd00::ff'/></dhcp></ip>\n</network>"],
    ['a domain', '<network>', "<dns enable='no'/>", "<domain name='corp.example' localOnly='no'/>\n  <dns enable='no'/>"],
    ['DNS forwarders', '<network>', "<dns enable='no'/>", "<dns><forwarder addr='10.0.0.53'/></dns>"],
    ['a TFTP root of the node', '<network>', '</dhcp>', "</dhcp>\n    <tftp root='/etc'/>"],
  ])('%s, added by a net-edit, is drift (a path out the projection would not see)', (_what, root, at, added) => {
    const edited = NETWORK.replace('<network>', root).replace(at, added);
    expect(edited).not.toBe(NETWORK);
    expect(projectNetwork(parseXml(edited, 'network')!)).not.toEqual(projectNetwork(parseXml(NETWORK, 'network')!));
    const change = new LibvirtNetworkResource('grid-net').diff(networkProbed(edited, 'Active:         yes\nAutostart:      yes\n'), ctx());
    expect(change?.steps).toEqual(['define', 'restart']);
  });
});

describe('the grid network against the routes the host has (172.31.254.0/24 is fixed)', () => {
  const r = new LibvirtNetworkResource('grid-net');
  const absent = (routes: string) => networkProbed('', '', routes);
  const planError = (routes: string, address = '10.0.0.1') => {
    try {
      r.diff(absent(routes), { node: { ...node(), address }, facts: labFacts() });
    } catch (e) {
      return e as PlanningError;
    }
    return undefined;
  };

  it('a route to the very same network (libvirt refuses to start it: "Network is already in use") is a plan error for that host, naming the device', () => {
    const err = planError(`${ROUTES}eth1 00FE1FAC 00FFFFFF\n`);
    expect(err).toBeInstanceOf(PlanningError);
    expect(err!.message).toBe('n1: the grid network grid-net cannot start here: its fixed range 172.31.254.0/24 is already routed to eth1 (172.31.254.0/24), and libvirt refuses to start a network whose range a route has ("Network is already in use by interface eth1")');
    expect(err!.hint).toBe('move that network off 172.31.254.0/24 on this host, or set hypervisor.enabled: false for this node');
  });

  it('a wider or narrower route is refused too: the grid network would take that part of its range, or lose its own', () => {
    expect(planError(`${ROUTES}docker0 00001FAC 0000FFFF\n`)?.message).toMatch(/its fixed range 172\.31\.254\.0\/24 overlaps the route to 172\.31\.0\.0\/16 on docker0: the grid network's bridge would take 172\.31\.254\.0\/24 of it from docker0$/);
    expect(planError(`${ROUTES}wg0 80FE1FAC 80FFFFFF\n`)?.message).toMatch(/overlaps the route to 172\.31\.254\.128\/25 on wg0: /);
  });

  it("the node's own address inside the range is refused, even with no route seen for it", () => {
    expect(planError(ROUTES, '172.31.254.20')?.message).toBe("n1: the grid network grid-net cannot start here: its fixed range 172.31.254.0/24 holds the node's own address 172.31.254.20");
  });

  it('routes elsewhere, the default route, and the grid network\'s own bridge are fine', () => {
    expect(planError(`${ROUTES}eth1 0000A8C0 00FFFFFF\n${gridBridgeName('grid-net')} 00FE1FAC 00FFFFFF\n`)).toBeUndefined();
    expect(r.diff(absent(ROUTES), ctx())).toMatchObject({ action: 'create' });
  });

  it("a renamed network's replacement: the old grid network's bridge, which the rename removes first, holds the range, and that alone is no clash", () => {
    const renamed = new LibvirtNetworkResource('new-net');
    const oldBridge = `${ROUTES}${gridBridgeName('old-net')} 00FE1FAC 00FFFFFF\n`;
    const plan = (replacedNetwork?: string) => renamed.diff(absent(oldBridge), { ...ctx(), ...(replacedNetwork ? { replacedNetwork } : {}) });
    expect(plan('old-net')).toMatchObject({ action: 'create', steps: ['define', 'start', 'autostart'] });
    // Not a network this run removes (no rename, or another grid's): libvirt would refuse to start, so the plan does.
    expect(() => plan()).toThrow(/is already routed to gs-old-net/);
    expect(() => plan('other-net')).toThrow(/is already routed to gs-old-net/);
    expect(() => checkGridNetRoutes([...ROUTES.trim().split('\n'), 'gs-old-net 00FE1FAC 00FFFFFF', 'eth1 00FE1FAC 00FFFFFF'], 'x86_64', { node: 'n1', nodeAddress: '10.0.0.1', network: 'new-net', bridge: gridBridgeName('new-net'), replacedBridge: gridBridgeName('old-net') })).toThrow(/is already routed to eth1/);
  });

  it('a network already running is not started again, so nothing is checked', () => {
    expect(r.diff(networkProbed(NETWORK, 'Active:         yes\nAutostart:      yes\n', `${ROUTES}eth1 00FE1FAC 00FFFFFF\n`), ctx())).toBeNull();
  });

  it('the probe prints the route table as device, destination and mask, from a real shell', () => {
    const out = execSync(r.probe(), { shell: '/bin/sh', env: { PATH: '/nonexistent' } }).toString();
    expect(out.split('\n')[0]).toBe('Iface Destination Mask');
  });
});

describe('apply records virsh steps through the gate', () => {
  const planned = (resource: Resource, change: NonNullable<ReturnType<Resource['diff']>>, transport: RecordingTransport): PlannedHost => ({
    session: { node: node(), transport, facts: labFacts() },
    resources: new Map([[resource.id, resource]]),
    managedUnits: new Set(),
    kernelEntries: {},
    handlers: [],
    plan: { host: 'n1', address: '10.0.0.1', playbooks: ['hypervisor'], changes: [change], notes: [], handlers: [] },
  });

  it('a live change is a virsh schedinfo --live --config, nothing else', async () => {
    const r = new SandboxDomainResource(spec({ cpuShares: 2048 }));
    const change = r.diff(probed('running', INACTIVE, LIVE), ctx())! as SandboxDomainChange;
    const t = new RecordingTransport('n1').on(/^sh -s$/, { stdout: '' });
    await applyPlan([planned(r, change, t)], { concurrency: 1, failFast: false, emit: () => {} });
    const script = (t.calls[0] as { stdin: string }).stdin;
    expect(script).toContain("virsh -q -c qemu:///system schedinfo gridops-sandbox --live --config 'cpu_shares=2048'");
    expect(script).not.toMatch(/destroy|shutdown|define/);
  });

  it('a memory drift is a setmem --live --config that waits for the balloon, in the batch', async () => {
    const r = new SandboxDomainResource(spec());
    const change = r.diff(probed('running', INACTIVE, LIVE.replace(/<currentMemory unit='KiB'>\d+</, "<currentMemory unit='KiB'>102400<")), ctx())! as SandboxDomainChange;
    const t = new RecordingTransport('n1').on(/^sh -s$/, { stdout: '' });
    await applyPlan([planned(r, change, t)], { concurrency: 1, failFast: false, emit: () => {} });
    const script = (t.calls[0] as { stdin: string }).stdin;
    expect(script).toContain(setMemoryLive('gridops-sandbox', 131072, ['--live', '--config']));
    expect(script).not.toMatch(/destroy|shutdown|define/);
  });

  it('a restart change is refused without --replace-sandbox and nothing is run', async () => {
    const r = new SandboxDomainResource(spec({ vcpus: 2 }));
    const change = r.diff(probed('running', INACTIVE, LIVE), ctx())!;
    const t = new RecordingTransport('n1');
    const events: ApplyEvent[] = [];
    const [outcome] = await applyPlan([planned(r, change, t)], { concurrency: 1, failFast: false, emit: (e) => events.push(e) });
    expect(t.calls).toEqual([]);
    expect(outcome).toMatchObject({ status: 'unchanged', refused: [{ id: 'sandbox-domain gridops-sandbox' }] });
    expect(events).toEqual([{ type: 'change-refused', host: 'n1', id: 'sandbox-domain gridops-sandbox', reason: expect.stringMatching(/\/domain\/vcpu/) }]);
  });

  it('a staged upload takes only a plain absolute path in a directory of its own (the transport makes that directory root-only)', async () => {
    const w = new StepRecorder('n1');
    for (const bad of ['relative/x.part', '/x.part', '/var/lib/gridops/../../tmp/x.part', '/var/lib/gridops/staging/', "/var/lib//gridops/x'.part"]) {
      await expect(w.stageUpload('/images/a.img', bad)).rejects.toThrow(/a staged upload needs an absolute path in a directory of its own/);
    }
    await w.stageUpload('/images/a.img', SANDBOX_STAGED_IMAGE);
    expect(w.uploads).toEqual([{ localPath: '/images/a.img', remotePath: SANDBOX_STAGED_IMAGE }]);
  });

  it('the base image goes over SFTP before the script, which checks its sha256 before placing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-image-'));
    try {
      const file = join(dir, "disk 'x'.img");
      writeFileSync(file, Buffer.alloc(4096, 7));
      const img: ImageFile = { path: file, sha256: execSync(`sha256sum ${quote(file)}`).toString().split(' ')[0]!, format: 'raw', sizeBytes: 4096, virtualSizeBytes: 4096 };
      const r = new SandboxImageResource(img);
      expect(r.diff(`4096\n`)).toBeNull();
      const change = r.diff('absent\n')!;
      const t = new RecordingTransport('n1').on(/^sh -s$/, { stdout: '' });
      await applyPlan([planned(r, change, t)], { concurrency: 1, failFast: false, emit: () => {} });
      // Staged in root's own directory (not /var/tmp, where another user could own or swap the name), by a fixed name a re-run overwrites.
      expect(SANDBOX_STAGED_IMAGE).toBe(`${SANDBOX_STAGING_PATH}/base-image.part`);
      expect(posix.dirname(SANDBOX_STAGING_PATH)).toBe(posix.dirname(SANDBOX_POOL_PATH));
      expect(t.transcript()[0]).toBe('upload /var/lib/gridops/staging/base-image.part (600, 4096 bytes, in a root-only dir)');
      // The gate hands the transport the image's path, not its bytes: the transport streams it (never read whole).
      expect(t.calls[0]).toMatchObject({ kind: 'upload', localPath: file });
      const script = (t.calls[1] as { stdin: string }).stdin;
      expect(script).not.toContain('/var/tmp');
      expect(script).not.toContain(Buffer.alloc(4096, 7).toString('base64').slice(0, 40));
      const s = quote(SANDBOX_STAGED_IMAGE);
      // Claimed first, by a rename to this run's own name; only a regular file is then checked and
      // placed; its sha256, then the move within /var/lib/gridops.
      const claimed = new RegExp(`mv -f -T -- ${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (${SANDBOX_STAGED_IMAGE.replace(/[.]/g, '\\.')}\\.[0-9a-f]{16}) `).exec(script);
      expect(claimed).not.toBeNull();
      const c = claimed![1]!;
      expect(script).toContain(`if [ -L ${c} ] || [ ! -f ${c} ]; then rm -f -- ${c};`);
      expect(script).toContain(`printf '%s  %s\\n' ${quote(img.sha256)} ${c} | sha256sum -c --status -`);
      expect(script).toContain(`{ chmod 0644 ${c} && mv -f -T -- ${c} ${quote(`${SANDBOX_POOL_PATH}/${r.volume}`)}; } || { rm -f -- ${c}; exit 1; }`);
      expect(script.indexOf(`mv -f -T -- ${s}`)).toBeLessThan(script.indexOf('sha256sum'));
      expect(script.indexOf('sha256sum')).toBeLessThan(script.indexOf(`chmod 0644 ${c}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("replacing the sandbox's definition (a real shell, a fake virsh)", () => {
  /** Runs the replacement with a virsh that logs its calls, whose VM stops at the first shutdown, and that may refuse the new definition. */
  const replaceWith = (refuseNew: boolean, managedSave = false) => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-replace-'));
    try {
      const f = (name: string) => join(dir, name);
      writeFileSync(
        f('virsh'),
        [
          '#!/bin/sh',
          `echo "$*" >> ${quote(f('calls'))}`,
          'case "$*" in',
          `  *domstate*) if [ -e ${quote(f('stopped'))} ]; then echo 'shut off'; else echo running; fi ;;`,
          `  *shutdown*) touch ${quote(f('stopped'))} ;;`,
          '  *dumpxml*) echo "<domain>old</domain>" ;;',
          ...(refuseNew ? ['  *define*new.xml) exit 1 ;;'] : []),
          // libvirt's refusal of an undefine that would drop a managed-save image.
          ...(managedSave ? ['  *undefine*--managed-save*) ;;', "  *undefine*) echo \"error: Refusing to undefine while domain managed save image exists\" >&2; exit 1 ;;"] : []),
          'esac',
          'exit 0',
        ].join('\n'),
      );
      chmodSync(f('virsh'), 0o755);
      const r = spawnSync('/bin/sh', ['-c', replaceDefinition('gridops-sandbox', f('new.xml'), f('previous.xml'))], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8', timeout: 30_000 });
      const calls = readFileSync(f('calls'), 'utf8').trim().split('\n').filter((c) => !c.includes('domstate'));
      return { status: r.status, calls, previousLeft: spawnSync('test', ['-e', f('previous.xml')]).status === 0, dir };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const V = '-q -c qemu:///system';

  it('keeps the old definition, stops the VM, undefines it, then defines the new one', () => {
    const r = replaceWith(false);
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([`${V} dumpxml --inactive gridops-sandbox`, `${V} shutdown gridops-sandbox`, `${V} undefine --nvram --snapshots-metadata --checkpoints-metadata gridops-sandbox`, `${V} define ${join(r.dir, 'new.xml')}`]);
    expect(r.previousLeft).toBe(false);
  });

  it('a managed-save image saved since the plan stops the replace before anything changed: libvirt refuses the undefine, and the image stays', () => {
    const r = replaceWith(false, true);
    expect(r.status).not.toBe(0);
    expect(r.calls.at(-1)).toMatch(/ undefine /);
    expect(r.calls.join('\n')).not.toMatch(/managed-save|managedsave-remove| define /);
  });

  it('a new definition libvirt refuses puts the old one back and fails the step', () => {
    const r = replaceWith(true);
    expect(r.status).toBe(1);
    expect(r.calls.slice(-2)).toEqual([`${V} define ${join(r.dir, 'new.xml')}`, `${V} define ${join(r.dir, 'previous.xml')}`]);
    expect(r.previousLeft).toBe(false);
  });
});

describe("the sandbox's tap on the grid network's bridge (libvirt leaves it off the bridge a network restart makes)", () => {
  const planned = (resource: Resource, change: NonNullable<ReturnType<Resource['diff']>>, transport: RecordingTransport): PlannedHost => ({
    session: { node: node(), transport, facts: labFacts() },
    resources: new Map([[resource.id, resource]]),
    managedUnits: new Set(),
    kernelEntries: {},
    handlers: [],
    plan: { host: 'n1', address: '10.0.0.1', playbooks: ['hypervisor'], changes: [change], notes: [], handlers: [] },
  });
  const applied = async (resource: Resource, change: NonNullable<ReturnType<Resource['diff']>>) => {
    const t = new RecordingTransport('n1').on(/^sh -s$/, { stdout: '' });
    await applyPlan([planned(resource, change, t)], { concurrency: 1, failFast: false, emit: () => {}, replaceSandbox: true });
    return (t.calls[0] as { stdin: string }).stdin;
  };

  it.each([
    ['a restart', 'Active:         yes\nAutostart:      yes\n', NETWORK_WITH_DNS, 'restart'],
    ['a start', 'Active:         no\nAutostart:      yes\n', NETWORK, 'start'],
  ])("%s of the grid network puts the running sandbox's tap back on the new bridge, after net-start", async (_what, info, xml, step) => {
    const r = new LibvirtNetworkResource('grid-net');
    const change = r.diff(networkProbed(xml, info, ROUTES, 'gs-grid-net\n'), ctx())!;
    expect(change.steps).toContain(step);
    expect(change.packages).toBeUndefined();
    const script = await applied(r, change);
    const reattach = reattachDetachedTap('gs-grid-net');
    expect(script).toContain(reattach);
    expect(script.indexOf(reattach)).toBeGreaterThan(script.lastIndexOf('net-start'));
    // The restart keeps the VM on its network now, but cuts it off for that moment: still the operator's word.
    expect(change.needsRestart ?? 'none').not.toMatch(/detaches/);
  });

  it('a node without ip gets iproute2 before the network goes down, where a sandbox runs', async () => {
    const r = new LibvirtNetworkResource('grid-net');
    const info = 'Active:         yes\nAutostart:      yes\n';
    const change = r.diff(networkProbed(NETWORK_WITH_DNS, info, ROUTES, 'gs-grid-net\n', ''), ctx())!;
    expect(change.packages).toEqual(['iproute2']);
    expect(change.fields).toContainEqual({ name: 'iproute2', before: null, after: 'installed' });
    const script = await applied(r, change);
    expect(script.indexOf('apt-get')).toBeGreaterThan(-1);
    expect(script.indexOf('apt-get')).toBeLessThan(script.indexOf('net-destroy'));
    // No VM running, no tap: nothing to put back, nothing to install.
    expect(r.diff(networkProbed(NETWORK_WITH_DNS, info, ROUTES, '', ''), ctx())!.packages).toBeUndefined();
    // And the sandbox's own step alike.
    const domain = new SandboxDomainResource(spec()).diff(probed('running', INACTIVE, LIVE, 'enable', '', '(none)\n', ''), ctx())! as SandboxDomainChange;
    expect(domain.packages).toEqual(['iproute2']);
    const domainScript = await applied(new SandboxDomainResource(spec()), domain);
    expect(domainScript.indexOf('apt-get')).toBeGreaterThan(-1);
    expect(domainScript.indexOf('apt-get')).toBeLessThan(domainScript.indexOf('ip link set'));
  });

  it('a network only redefined or set to autostart touches no tap', async () => {
    const r = new LibvirtNetworkResource('grid-net');
    const change = r.diff(networkProbed(NETWORK, 'Active:         yes\nAutostart:      no\n'), ctx())!;
    expect(change.steps).toEqual(['autostart']);
    expect(await applied(r, change)).not.toContain('ip link');
  });

  it('a running VM whose tap is on no bridge is drift, put back on its bridge without a restart', async () => {
    const r = new SandboxDomainResource(spec());
    const change = r.diff(probed('running', INACTIVE, LIVE, 'enable', '', '(none)\n'), ctx())! as SandboxDomainChange;
    expect(change).toMatchObject({ action: 'update', steps: ['reattach'], fields: [{ name: 'tap gs-sandbox bridge', before: '(none)', after: 'gs-grid-net' }] });
    expect(change.needsRestart).toBeUndefined();
    expect(change.summary).toMatch(/^put its tap gs-sandbox back on bridge gs-grid-net/);
    const script = await applied(r, change);
    expect(script).toContain(attachTap('gs-grid-net'));
    expect(script).not.toMatch(/destroy|shutdown|define/);
  });

  it("a tap on another bridge is drift too; on the grid network's, or no tap (a VM not running), is none", () => {
    const r = new SandboxDomainResource(spec());
    expect(r.diff(probed('running', INACTIVE, LIVE, 'enable', '', 'virbr0\n'), ctx())).toMatchObject({ steps: ['reattach'], fields: [{ before: 'virbr0', after: 'gs-grid-net' }] });
    expect(r.diff(probed('running', INACTIVE, LIVE, 'enable', '', 'gs-grid-net\n'), ctx())?.action).toBe('none');
    // Read from sysfs where the node has no ip.
    expect(r.diff(probed('running', INACTIVE, LIVE, 'enable', '', '../gs-grid-net\n', ''), ctx())?.action).toBe('none');
    expect(r.diff(probed('running', INACTIVE, LIVE), ctx())?.action).toBe('none');
    // A VM restarted by this very change gets a new tap from libvirt, on the bridge.
    expect(new SandboxDomainResource(spec({ vcpus: 2 })).diff(probed('running', INACTIVE, LIVE, 'enable', '', '(none)\n'), ctx())!.steps).toEqual(['redefine', 'restart', 'live']);
  });

  /**
   * On a real kernel, in a network namespace of the test's own with its own sysfs (`unshare -n -m`,
   * which ends with the shell): a bridge and a tap as libvirt makes them, then the network's
   * restart (the bridge deleted and made again), then what gridops reads and runs. As root only:
   * unshare and mount need it.
   */
  const asRoot = process.getuid?.() === 0;
  const inNamespace = (script: string) =>
    execFileSync('unshare', ['-n', '-m', 'sh', '-c', `set -e; mount -t sysfs sysfs /sys; ip link add gs-grid-net type bridge; ip tuntap add dev gs-sandbox mode tap; ip link set dev gs-sandbox master gs-grid-net\n${script}`], { encoding: 'utf8' });
  const read = `echo read; ${TAP_BRIDGE_PROBE}`;
  const restartNetwork = 'ip link del gs-grid-net; ip link add gs-grid-net type bridge';

  (asRoot ? it : it.skip)('reads the tap off the bridge after a network restart, and puts it back (real kernel)', () => {
    const out = inNamespace([read, restartNetwork, read, reattachDetachedTap('gs-grid-net'), read].join('\n')).split('read\n').slice(1);
    expect(out).toEqual(['gs-grid-net\n', '(none)\n', 'gs-grid-net\n']);
    const r = new SandboxDomainResource(spec());
    expect(r.diff(probed('running', INACTIVE, LIVE, 'enable', '', out[1]!), ctx())!.steps).toEqual(['reattach']);
    expect(r.diff(probed('running', INACTIVE, LIVE, 'enable', '', out[2]!), ctx())!.action).toBe('none');
    // The domain's own step, from no bridge or another.
    expect(inNamespace([restartNetwork, 'ip link add other type bridge; ip link set dev gs-sandbox master other', attachTap('gs-grid-net'), read].join('\n'))).toBe('read\ngs-grid-net\n');
  });

  (asRoot ? it : it.skip)('reads sysfs where the node has no ip (real kernel)', () => {
    const bin = mkdtempSync(join(tmpdir(), 'gridops-no-ip-'));
    try {
      // A PATH with readlink and no ip.
      execFileSync('ln', ['-s', execSync('command -v readlink', { shell: '/bin/sh' }).toString().trim(), join(bin, 'readlink')]);
      const noIp = `PATH=${bin} /bin/sh -c ${quote(TAP_BRIDGE_PROBE)}`;
      expect(inNamespace([`echo read; ${noIp}`, restartNetwork, `echo read; ${noIp}`, 'ip link del gs-sandbox', `echo read; ${noIp}`].join('\n'))).toBe('read\n../gs-grid-net\nread\n(none)\nread\n');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  (asRoot ? it : it.skip)("the network's step leaves a tap that is on a bridge where it is, and does nothing without a tap (real kernel)", () => {
    expect(inNamespace(['ip link add other type bridge; ip link set dev gs-sandbox master other', reattachDetachedTap('gs-grid-net'), read].join('\n'))).toBe('read\nother\n');
    expect(inNamespace(['ip link del gs-sandbox', reattachDetachedTap('gs-grid-net'), read].join('\n'))).toBe('read\n');
  });
});
