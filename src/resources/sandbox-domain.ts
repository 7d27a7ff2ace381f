import type { StepRecorder } from './step-recorder.js';
import { PlanningError } from '../errors/index.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { FieldChange, LiveSetting, SandboxDomainChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import { replaceDefinition, restartDomain } from './sandbox-replace.js';
import { sha256 } from './file-state.js';
import type { ImageFile } from './image-file.js';
import { attr, child, children, differingKeys, parseXml, projectionDiff, renderLibvirtXml, sizeKiB, text, type Projection, type XmlNode } from './libvirt-xml.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import type { PlanContext, Resource } from './resource.js';
import { LIBVIRT_XML_DIR, SANDBOX_DOMAIN, SANDBOX_POOL, SANDBOX_SERIAL_LOG, SANDBOX_TAP, baseVolumeName, gridBridgeName, overlayVolumeName, sandboxMac, sandboxUuid, volumePath } from './sandbox-names.js';
import { TAP_BRIDGE_PROBE, TAP_TOOLS, attachTap, tapBridge } from './sandbox-tap.js';
import { installTools, packagesForMissingTools, parseTools, toolsProbe } from './tool-packages.js';
import { setMemoryLive } from './sandbox-balloon.js';
import { checkCpuShares } from './sandbox-cpu-shares.js';
import { checkGridCaps } from './sandbox-grid-caps.js';
import { moduleKey } from '../topology/kernel-names.js';
import { domainOrAbsent, parseInfo, virsh } from './virsh.js';
import { probeLibvirt, refuseUnreadLibvirt } from './libvirt-read.js';
import { DOMAIN_DEFINITION } from './libvirt-definitions.js';
import { resourceId } from './resource-id.js';
import { projectConfinement } from './sandbox-confinement.js';
import { QEMU_CONF_PROBE, checkQemuConf } from './qemu-conf.js';

/** What a node's sandbox should be (from its effective `hypervisor` settings). */
export interface SandboxSpec {
  grid: string;
  node: string;
  vcpus: number;
  memoryMiB: number;
  cpuShares: number;
  network: string;
  image: ImageFile;
  hostReserveMiB: number;
  /** The node's qos.gridMemoryMiB: grid.slice's MemoryMax, which holds the VM too. */
  gridMemoryMiB?: number;
  /** The node's kernel.modules, which node-base loads before the hypervisor playbook runs. */
  kernelModules: readonly string[];
}

/**
 * The libvirt resource partition the VM runs in: libvirt hands it to systemd-machined as the
 * slice `grid.slice`, the qos playbook's, so grid.slice's CPUQuota and MemoryMax hold the VM with
 * the rest of grid work, and its cpuShares weighs it against that work. Left to libvirt, the VM
 * would run in machine.slice, outside every grid limit. systemd makes the slice when the VM
 * starts if the qos playbook has not yet (a first apply runs hypervisor before qos).
 */
export const SANDBOX_PARTITION = '/grid';

/** QEMU's own memory beside the guest's, for a VM of one vCPU: its code, libraries, heap and device state. */
const QEMU_BASE_MIB = 192;
/** Per vCPU beyond the first: its thread's stack, QEMU's and KVM's state of that CPU (the kernel's share is charged to the VM's cgroup too). */
const QEMU_PER_VCPU_MIB = 8;
/** The part of the guest's memory QEMU and KVM need again to map it: host page tables (8 bytes a 4 KiB page), KVM's reverse maps and memslot arrays, dirty bitmaps. */
const QEMU_MEMORY_SHARE = 1 / 64;

/**
 * QEMU's memory beside the guest's, which the VM's hard limit must leave it, or the kernel
 * OOM-kills QEMU at the limit: a fixed part (measured enough for a one-vCPU guest: the lab's VMs
 * run under it), a part per vCPU, and a part proportional to the guest's memory, since mapping
 * the guest costs memory in proportion to its size (about 1/170 of it; 1/64 leaves the margin).
 * A flat amount fit a small VM and starved a big one (the schema allows 4 TiB and 255 vCPUs).
 */
export function qemuOverheadMiB(vcpus: number, memoryMiB: number): number {
  return QEMU_BASE_MIB + QEMU_PER_VCPU_MIB * (vcpus - 1) + Math.ceil(memoryMiB * QEMU_MEMORY_SHARE);
}
/** Under TCG, QEMU's translated-code cache; bounded (its default is up to 1 GiB) so the hard limit holds. */
export const TCG_TB_CACHE_MIB = 64;

/** How the sandbox will run on this host, from its facts. */
export interface SandboxPlacement {
  type: 'kvm' | 'qemu';
  /** Why not KVM, when type is qemu. */
  why?: string;
  /** KVM comes with this module, which node-base loads in the same run (no /dev/kvm yet). */
  kvmModule?: string;
  hardLimitMiB: number;
  /** The hard limit can live in the persistent definition (else it is set on the running VM). */
  hardLimitInConfig: boolean;
  /** The node accounts swap, so the VM gets a swap limit equal to its hard limit: it may not swap. */
  swapLimit: boolean;
}

export function placement(spec: SandboxSpec, facts: HostFacts): SandboxPlacement {
  const kvmModule = kvmModuleLoadedThisRun(spec, facts);
  const kvm = (facts.kvm.usable || kvmModule !== undefined) && facts.cpu.virtFlags.length > 0;
  const why = kvm ? undefined : !facts.kvm.device ? 'no /dev/kvm' : !facts.kvm.usable ? '/dev/kvm cannot be opened' : 'no vmx/svm CPU flag';
  const type = kvm ? 'kvm' : 'qemu';
  return { type, ...(why ? { why } : {}), ...(kvmModule ? { kvmModule } : {}), hardLimitMiB: spec.memoryMiB + qemuOverheadMiB(spec.vcpus, spec.memoryMiB) + (type === 'qemu' ? TCG_TB_CACHE_MIB : 0), hardLimitInConfig: facts.capSysResource, swapLimit: facts.swapAccounting };
}

/**
 * The vendor module (kvm_intel for vmx, kvm_amd for svm) that makes /dev/kvm, where the node has
 * none yet and node-base loads it in this very run (kernel.modules): facts are read before
 * node-base runs, and a VM defined under TCG then would be planned as KVM by the next run, a
 * restart it would refuse without --replace-sandbox.
 */
function kvmModuleLoadedThisRun(spec: SandboxSpec, facts: HostFacts): string | undefined {
  if (facts.kvm.device || !facts.kernel.loadableModules) return undefined;
  const vendor = facts.cpu.virtFlags.includes('vmx') ? 'kvm_intel' : facts.cpu.virtFlags.includes('svm') ? 'kvm_amd' : undefined;
  return vendor && spec.kernelModules.some((m) => moduleKey(m) === vendor) ? vendor : undefined;
}

const IMAGE_KEY = '/domain/metadata/gridops:sandbox/@image';
const DISK_KEY = '/domain/devices/disk/source/@file';

/** The definition's key a new UUID shows under (projectDomain). */
const UUID_KEY = '/domain/uuid';

/** The settings that change on a running VM; everything else gridops owns needs a restart. */
const LIVE_KEYS = { cpuShares: '/domain/cputune/shares', currentMemoryKiB: '/domain/currentMemory', hardLimitKiB: '/domain/memtune/hard_limit', swapHardLimitKiB: '/domain/memtune/swap_hard_limit' } as const;

/**
 * The sandbox VM (PhantomOS's O-Remote): vcpus, memory with a hard limit, CPU shares, one virtio
 * NIC on the grid network, a serial console, and no I/O device of the node. Its definition is
 * compared only on the XPaths gridops owns (libvirt's rewrites are not drift); its live values
 * (shares, memory, hard limit) are read from the running VM and changed with `--live --config`
 * without a restart; any other difference replaces the definition and restarts the VM, which
 * apply does only with `--replace-sandbox`.
 */
export class SandboxDomainResource implements Resource<SandboxDomainChange> {
  readonly kind = 'sandbox-domain' as const;
  readonly id = resourceId.sandboxDomain;
  private readonly file = `${LIBVIRT_XML_DIR}/domain-${SANDBOX_DOMAIN}.xml`;

  constructor(readonly spec: SandboxSpec) {}

  /** The definition gridops writes for this host. */
  xml(facts: HostFacts): string {
    const p = placement(this.spec, facts);
    const s = this.spec;
    return renderLibvirtXml('sandbox-domain.xml.hbs', {
      type: p.type,
      name: SANDBOX_DOMAIN,
      uuid: sandboxUuid(s.grid, s.node),
      grid: s.grid,
      node: s.node,
      imageSha256: s.image.sha256,
      memoryMiB: s.memoryMiB,
      vcpus: s.vcpus,
      hardLimitMiB: p.hardLimitInConfig ? p.hardLimitMiB : 0,
      // libvirt refuses a swap limit below the hard limit. On cgroup v1 it is memory plus swap (no swap past the hard limit);
      // on v2 it is memory.swap.max, swap alone, and grid.slice's MemorySwapMax=0 keeps the VM from swapping (templates/render.ts).
      swapHardLimitMiB: p.swapLimit ? p.hardLimitMiB : 0,
      partition: SANDBOX_PARTITION,
      cpuShares: s.cpuShares,
      tbCacheMiB: p.type === 'qemu' ? TCG_TB_CACHE_MIB : 0,
      diskPath: volumePath(overlayVolumeName(s.image.sha256)),
      basePath: volumePath(baseVolumeName(s.image.sha256, s.image.format)),
      baseFormat: s.image.format,
      network: s.network,
      mac: sandboxMac(s.grid, s.node),
      tap: SANDBOX_TAP,
      serialLog: SANDBOX_SERIAL_LOG,
    });
  }

  probe(): string {
    // The state is `absent` only where libvirt says it has no such domain (virsh 9.0's bare "failed
    // to get domain" only without the VM's definition: domainOrAbsent); another failure of virsh is
    // `unknown (WHY)`, which diff refuses to plan on, as it does a libvirt that does not answer.
    // One dominfo gives the state, the autostart and the managed-save image: each virsh costs the
    // host a process and a libvirt connection (about 55 ms of a lab host's CPU), so a domstate
    // besides it (twice, before) cost the read a tenth of its time. Its lookup is domstate's
    // (virshCommandOptDomain), so it fails in the same words. dominfo also exits 1 where a query
    // after its State, Autostart and Managed save lines failed (the node's security model, the VM's
    // label: cmdDominfo), which says nothing against those lines: they are read as printed
    // (sandbox_dominfo), and only a dominfo with no State line is a failed read.
    return probeLibvirt(
      probeSections(
        [
          'sandbox_dominfo() {',
          // LC_ALL=C here too: whether a prefix assignment on a function call is exported is unspecified (POSIX 2.9.1).
          `  out=$(LC_ALL=C ${virsh('dominfo', SANDBOX_DOMAIN)} 2>&1); r=$?`,
          `  printf '%s\n' "$out"`,
          '  case $out in *State:*) return 0 ;; esac',
          '  return $r',
          '}',
          domainOrAbsent('sandbox_dominfo', 'info', DOMAIN_DEFINITION),
        ].join('\n'),
        `${virsh('dumpxml', '--inactive', SANDBOX_DOMAIN)} 2>/dev/null || true`,
        // The active VM's XML (a paused one's too): what it runs may not be its definition. Not
        // read where the first section has no state (its read failed) or the VM is shut off. The
        // state's line is cut at its end with no process (`nl`, a newline): a later line may say anything.
        `case "$info" in *State:*) nl='\n'; vm_state=\${info#*State:}; case "\${vm_state%%"$nl"*}" in *'shut off') ;; *) ${virsh('dumpxml', SANDBOX_DOMAIN)} 2>/dev/null || true ;; esac ;; esac`,
        `${virsh('vol-list', '--pool', SANDBOX_POOL)} 2>/dev/null || true`,
        TAP_BRIDGE_PROBE,
        toolsProbe(TAP_TOOLS),
        QEMU_CONF_PROBE,
      ),
    );
  }

  diff(stdout: string, ctx: PlanContext): SandboxDomainChange | null {
    const [infoPart = '', inactivePart = '', livePart = '', volumesPart = '', tapPart = '', toolsPart = '', qemuConfPart = ''] = splitProbeSections(stdout);
    refuseUnreadLibvirt(infoPart, ctx.node.name);
    checkQemuConf(qemuConfPart, ctx.node.name);
    const facts = ctx.facts;
    checkCpuShares(this.spec.cpuShares, facts, ctx.node.name);
    const p = placement(this.spec, facts);
    checkGridCaps(this.spec, p.hardLimitMiB, facts, ctx.node.name);
    const hostMiB = Math.floor(facts.memoryBytes / 2 ** 20);
    if (hostMiB < p.hardLimitMiB + this.spec.hostReserveMiB) {
      throw new PlanningError(
        `${ctx.node.name}: cannot host the sandbox: it needs ${p.hardLimitMiB} MiB (${this.spec.memoryMiB} MiB of memory plus QEMU's own) and the host keeps ${this.spec.hostReserveMiB} MiB for itself, but the node has ${hostMiB} MiB`,
        'lower hypervisor.sandbox.memoryMiB or hypervisor.hostReserveMiB for this node, or set hypervisor.enabled: false on it (which destroys a sandbox VM gridops made there, with --replace-sandbox)',
      );
    }
    const xml = this.xml(facts);
    const want = projectDomain(parseXml(xml, 'domain')!);
    const info = parseInfo(infoPart);
    // dominfo's State, else the probe's own word for no domain (`absent`, `no-libvirt`).
    const state = info.get('state') ?? infoPart.trim();
    const defined = parseXml(inactivePart, 'domain');
    // Said in every plan, never silently left out: without swap accounting the VM can swap.
    const swapWarning = p.swapLimit ? '' : `; ${ctx.node.name}'s kernel does not account swap (no memory.memsw or memory.swap.max), so the VM's swap is not capped`;
    const note = `${p.type === 'qemu' ? ` (TCG, software emulation: ${p.why})` : p.kvmModule ? ` (KVM: /dev/kvm comes with ${p.kvmModule}, which node-base loads in this run)` : ' (KVM)'}${swapWarning}`;
    const base = { kind: 'sandbox-domain' as const, id: this.id, domain: SANDBOX_DOMAIN, xmlSha256: sha256(xml) };
    // Where libvirt cannot keep the hard limit in the definition, it and the swap limit are set on the running VM, together.
    const memoryLimitsLive: LiveSetting[] = [
      { setting: 'hardLimitKiB', value: p.hardLimitMiB * 1024, config: false },
      ...(p.swapLimit ? [{ setting: 'swapHardLimitKiB' as const, value: p.hardLimitMiB * 1024, config: false }] : []),
    ];
    if (!defined || state === 'absent' || state === 'no-libvirt') {
      return {
        ...base,
        action: 'create',
        steps: ['define', 'autostart', 'start', ...(p.hardLimitInConfig ? [] : (['live'] as const))],
        live: p.hardLimitInConfig ? [] : memoryLimitsLive,
        fields: [
          { name: 'type', before: null, after: p.type },
          { name: 'vcpus', before: null, after: String(this.spec.vcpus) },
          { name: 'memory', before: null, after: `${this.spec.memoryMiB} MiB (hard limit ${p.hardLimitMiB} MiB)` },
          { name: 'cpu shares', before: null, after: String(this.spec.cpuShares) },
        ],
        summary: `define and start the sandbox VM${note}`,
      };
    }
    const have = projectDomain(defined);
    const running = state === 'running';
    const active = parseXml(livePart, 'domain');
    const haveActive = active ? projectDomain(active) : null;
    // Live settings are read and set on a running VM only: a paused guest's balloon does not move.
    const haveLive = running ? haveActive : null;
    const liveKeys = Object.values(LIVE_KEYS) as string[];
    const memoryLimitKeys: string[] = [LIVE_KEYS.hardLimitKiB, LIVE_KEYS.swapHardLimitKiB];
    // Owned, restart-class differences in the definition.
    const restartKeys = differingKeys(want, have).filter((k) => !liveKeys.includes(k));
    // Owned, restart-class differences in the running VM itself, beyond the definition's: a device
    // attached with `attach-device --live` (gone at the restart, which boots the definition), or a
    // definition replaced by a run whose restart then failed, which leaves the old VM running.
    // A paused VM too: a run whose restart failed on it (as it did before stopOrderly stopped paused
    // VMs) left it on the old definition, and resuming it would keep that for good.
    const runningKeys = haveActive ? differingKeys(want, haveActive).filter((k) => !liveKeys.includes(k) && !restartKeys.includes(k)) : [];
    const fields: FieldChange[] = [
      ...restartKeys.map((k) => ({ name: k, before: have[k] ?? null, after: want[k] ?? null })),
      ...runningKeys.map((k) => ({ name: `${k} (running VM)`, before: haveActive?.[k] ?? null, after: want[k] ?? null })),
    ];
    const steps: SandboxDomainChange['steps'] = [];
    const liveSettings: LiveSetting[] = [];
    if (restartKeys.length || runningKeys.length) {
      // libvirt refuses a definition that gives a known name a new UUID ("already exists with
      // uuid"), as a renamed node's does (the UUID and MAC derive from the node's name): the old
      // definition goes first, stopped as for a restart, and with it its autostart link.
      if (restartKeys.includes(UUID_KEY)) steps.push('replace', 'start', 'autostart');
      else if (restartKeys.length) steps.push('redefine', 'restart');
      else steps.push('restart');
      if (!p.hardLimitInConfig) (steps.push('live'), liveSettings.push(...memoryLimitsLive));
    } else {
      for (const [setting, key] of Object.entries(LIVE_KEYS) as Array<[LiveSetting['setting'], string]>) {
        if (key === LIVE_KEYS.swapHardLimitKiB && !p.swapLimit) continue;
        const inConfig = !memoryLimitKeys.includes(key) || p.hardLimitInConfig;
        const wanted = memoryLimitKeys.includes(key) ? String(p.hardLimitMiB * 1024) : want[key];
        const configDiffers = inConfig && have[key] !== wanted;
        const liveDiffers = haveLive !== null && haveLive[key] !== wanted;
        if (!configDiffers && !liveDiffers) continue;
        liveSettings.push({ setting, value: Number(wanted), config: inConfig });
        if (configDiffers) fields.push({ name: key, before: have[key] ?? null, after: wanted ?? null });
        if (liveDiffers) fields.push({ name: `${key} (live)`, before: haveLive[key] ?? null, after: wanted ?? null });
      }
      if (liveSettings.length) steps.push('live');
    }
    // A managed-save image (virsh managedsave) is the stopped guest's memory: remote users' work.
    // A replace would have to delete it before libvirt takes the new definition, so a refused one
    // would lose it for nothing; the operator decides first. A restart boots afresh and says so.
    const managedSave = info.get('managed save') === 'yes';
    if (managedSave && steps.includes('replace')) {
      throw new PlanningError(
        `${ctx.node.name}: the sandbox VM's definition must be replaced (its UUID changed), which would discard its managed-save image (the memory of the guest saved by virsh managedsave)`,
        `on ${ctx.node.name}, resume the guest from it with virsh start ${SANDBOX_DOMAIN} (the replace then stops it in order), or discard it with virsh managedsave-remove ${SANDBOX_DOMAIN}; then plan again`,
      );
    }
    if (!running && !steps.includes('restart') && !steps.includes('replace')) {
      // A paused VM (virsh suspend, or libvirt pausing it on a full disk) is active: `start` would
      // fail on it ("domain is already active"); it is resumed.
      steps.push(state === 'paused' ? 'resume' : 'start');
      if (!p.hardLimitInConfig) {
        const missing = memoryLimitsLive.filter((m) => !liveSettings.some((l) => l.setting === m.setting));
        if (missing.length) (steps.includes('live') || steps.push('live'), liveSettings.push(...missing));
      }
      fields.push({ name: 'state', before: state, after: 'running' });
    }
    // A running VM's tap on no bridge, or another (its network restarted behind gridops' back: libvirt
    // does not plug it into the new bridge), cuts it off while no definition changed. A restart of the
    // VM makes a new tap, which libvirt plugs in itself.
    const bridge = gridBridgeName(this.spec.network);
    const tapOn = tapBridge(tapPart);
    const reattach = tapOn !== undefined && tapOn !== bridge && !steps.includes('restart') && !steps.includes('replace');
    const packages = reattach ? packagesForMissingTools(TAP_TOOLS, parseTools(toolsPart), facts, `${ctx.node.name}: the sandbox's tap ${SANDBOX_TAP}`, ctx.node.name) : [];
    if (reattach) {
      steps.push('reattach');
      fields.push({ name: `tap ${SANDBOX_TAP} bridge`, before: tapOn, after: bridge }, ...packages.map((p) => ({ name: p, before: null, after: 'installed' })));
    }
    // The active VM's disk and image too (a paused one has them open): a definition replaced by a run whose restart then failed names the new ones while the VM still has the old open.
    const unused = unusedVolumes(volumesPart, [this.spec.image.sha256, have[IMAGE_KEY], haveActive?.[IMAGE_KEY]], [have[DISK_KEY], haveActive?.[DISK_KEY]]);
    if (unused.length) (steps.push('prune'), fields.push({ name: 'unused volumes', before: unused.join(', '), after: null }));
    const autostart = info.get('autostart');
    if (autostart !== 'enable') (steps.includes('autostart') || steps.push('autostart'), fields.push({ name: 'autostart', before: autostart ?? null, after: 'enable' }));
    if (steps.length === 0) {
      const notes = [...(p.type === 'qemu' ? [`the sandbox runs under TCG, software emulation (${p.why}): slower than KVM`] : []), ...(swapWarning ? [swapWarning.slice(2)] : [])];
      return notes.length ? { ...base, action: 'none', steps: [], live: [], fields: [], summary: notes.join('; ') } : null;
    }
    const liveView = (proj: Projection | null) => (proj ? Object.fromEntries(liveKeys.map((k) => [`${k} (live)`, proj[k]])) : {});
    const wantLive = Object.fromEntries(liveKeys.map((k) => [`${k} (live)`, k === LIVE_KEYS.hardLimitKiB || (k === LIVE_KEYS.swapHardLimitKiB && p.swapLimit) ? String(p.hardLimitMiB * 1024) : want[k]]));
    // What the restart leaves behind: the definition's disk and image, or, where only the running VM
    // differs (its definition already replaced), the ones it still has open.
    const replaced = restartKeys.length || !haveActive ? have : haveActive;
    const previousImage = replaced[IMAGE_KEY];
    const previousDisk = replaced[DISK_KEY];
    const runningDiffers = runningKeys.length ? `the running VM differs from its definition: ${runningKeys.join(', ')}` : '';
    const savedLost = managedSave && steps.includes('restart') ? ['its managed-save image (the memory of the guest saved by virsh managedsave) is discarded: it boots afresh on the new definition'] : [];
    const restartWhy = [...(restartKeys.length ? [`the sandbox VM must restart to change ${restartKeys.join(', ')}`] : []), ...(runningDiffers ? [`${restartKeys.length ? '' : 'the sandbox VM must restart: '}${runningDiffers}`] : []), ...(restartKeys.length || runningDiffers ? savedLost : [])].join('; ');
    const runningView = (proj: Projection | null | undefined) => Object.fromEntries(runningKeys.map((k) => [`${k} (running VM)`, proj?.[k]]));
    return {
      ...base,
      action: 'update',
      steps,
      live: liveSettings,
      fields,
      summary: restartKeys.includes(IMAGE_KEY)
        ? `recreate the sandbox VM on image ${this.spec.image.sha256.slice(0, 12)} (a restart: its overlay disk is new)${note}`
        : restartKeys.length
        ? `replace the sandbox's definition and restart it${note}: ${restartKeys.join(', ')} changed${runningDiffers ? `; ${runningDiffers}` : ''}`
        : runningKeys.length
        ? `restart the sandbox VM${note}: ${runningDiffers}`
        : `${steps.map((s) => (s === 'live' ? `set ${liveSettings.map((l) => l.setting).join(', ')} live, without a restart` : s === 'prune' ? `remove ${unused.length === 1 ? 'an unused volume' : `${unused.length} unused volumes`} from pool ${SANDBOX_POOL}` : s === 'reattach' ? `put its tap ${SANDBOX_TAP} back on bridge ${bridge}` : s)).join(', ')}${note}`,
      diff: projectionDiff(`domain ${SANDBOX_DOMAIN}`, { ...have, ...(haveLive ? liveView(haveLive) : {}), ...runningView(haveActive) }, { ...want, ...(haveLive ? wantLive : {}), ...runningView(want) }),
      ...(unused.length ? { unusedVolumes: unused } : {}),
      ...(packages.length ? { packages } : {}),
      ...(restartWhy ? { needsRestart: restartWhy, previous: previousDisk !== want['/domain/devices/disk/source/@file'] ? { disk: previousDisk, imageVolume: previousImage && previousImage !== this.spec.image.sha256 ? previousImage : undefined } : undefined } : {}),
    };
  }

  async apply(change: SandboxDomainChange, writer: StepRecorder, ctx: PlanContext): Promise<void> {
    const d = SANDBOX_DOMAIN;
    if (change.steps.includes('define') || change.steps.includes('redefine')) {
      await writer.run(`mkdir -p -- ${LIBVIRT_XML_DIR}`, `mkdir ${LIBVIRT_XML_DIR}`);
      await writer.write(this.file, Buffer.from(this.xml(ctx.facts)), '0644');
      await writer.run(`${virsh('define', this.file)} >/dev/null`, `virsh define ${d}`);
    }
    if (change.steps.includes('replace')) {
      const previous = `${LIBVIRT_XML_DIR}/domain-${d}.previous.xml`;
      await writer.run(`mkdir -p -- ${LIBVIRT_XML_DIR}`, `mkdir ${LIBVIRT_XML_DIR}`);
      await writer.write(this.file, Buffer.from(this.xml(ctx.facts)), '0644');
      await writer.run(
        replaceDefinition(d, this.file, previous),
        `replace ${d}'s definition (its UUID changed)`,
        { timeoutMs: 120_000 },
      );
    }
    if (change.steps.includes('restart')) {
      await writer.run(restartDomain(d), `restart ${d}`, { timeoutMs: 120_000 });
    }
    if (change.steps.includes('autostart')) await writer.run(`${virsh('autostart', d)} >/dev/null`, `virsh autostart ${d}`);
    if (change.steps.includes('start')) await writer.run(`${virsh('start', d)} >/dev/null`, `virsh start ${d}`);
    if (change.steps.includes('resume')) await writer.run(`${virsh('resume', d)} >/dev/null`, `virsh resume ${d}`);
    if (change.steps.includes('reattach')) {
      const bridge = gridBridgeName(this.spec.network);
      if (change.packages?.length) await installTools(change.packages, ctx.facts, writer);
      await writer.run(attachTap(bridge), `put ${SANDBOX_TAP} back on bridge ${bridge}`);
    }
    if (change.steps.includes('live')) {
      const running = !change.steps.includes('define') || change.steps.includes('start');
      for (const l of change.live) {
        const scope = [...(running || l.setting === 'hardLimitKiB' ? ['--live'] : []), ...(l.config ? ['--config'] : [])];
        if (l.setting === 'cpuShares') await writer.run(`${virsh('schedinfo', d, ...scope, `cpu_shares=${l.value}`)} >/dev/null`, `virsh schedinfo ${d} cpu_shares=${l.value}`);
        if (l.setting === 'currentMemoryKiB') await writer.run(setMemoryLive(d, l.value, scope), `virsh setmem ${d} ${l.value}KiB`);
      }
      // The hard and swap limits in one memtune: libvirt orders the two writes so that cgroup v1's
      // memsw limit never goes below the memory limit, which two separate calls could not.
      const limits = change.live.filter((l) => l.setting === 'hardLimitKiB' || l.setting === 'swapHardLimitKiB');
      if (limits.length) {
        const flags = limits.flatMap((l) => [l.setting === 'hardLimitKiB' ? '--hard-limit' : '--swap-hard-limit', String(l.value)]);
        const scope = ['--live', ...(limits.some((l) => l.config) ? ['--config'] : [])];
        await writer.run(virsh('memtune', d, ...flags, ...scope), `virsh memtune ${d} ${flags.join(' ')}`);
      }
    }
    for (const volume of change.unusedVolumes ?? []) await writer.run(`${virsh('vol-delete', '--pool', SANDBOX_POOL, volume)} >/dev/null`, `remove unused volume ${volume}`);
    if (change.previous?.disk) await writer.run(`${virsh('vol-delete', '--pool', SANDBOX_POOL, change.previous.disk.split('/').pop()!)} >/dev/null 2>&1 || true`, `remove the replaced overlay disk`);
    if (change.previous?.imageVolume) {
      const old = change.previous.imageVolume;
      await writer.run(`for v in ${quote(baseVolumeName(old, 'raw'))} ${quote(baseVolumeName(old, 'qcow2'))}; do ${virsh('vol-delete', '--pool', SANDBOX_POOL)} "$v" >/dev/null 2>&1 || true; done`, 'remove the replaced base image');
    }
  }
}

/** The elements no remote user may get: I/O devices of the node. Their count is owned (0). */
export const FORBIDDEN_DEVICES = ['graphics', 'video', 'sound', 'hostdev', 'redirdev', 'filesystem', 'smartcard', 'hub', 'parallel', 'tpm', 'shmem', 'vsock'] as const;

/** The devices key: every element under <devices> the allow-list does not take, `(none)` when all are taken. */
const NOT_ALLOWED_KEY = '/domain/devices/*[not allowed]';

/**
 * What may be under <devices>: what gridops defines (one file disk, one NIC on a libvirt network,
 * one pty serial and its console, the USB controller it turns off, the balloon) and what libvirt
 * adds to that on its own (the emulator, the PCI root and the disk controllers of the machine
 * type, PS/2 mouse and keyboard, a silent audio backend). `max`: how many of the element. Anything
 * else (an evdev or virtio input, a second serial on a host tty or a TCP port, a channel to a
 * socket, an rng, a watchdog, ...) is a path from the guest to the node, so a definition that has
 * it is drift, and gridops' own replaces it (README, "hypervisor").
 */
const ALLOWED_DEVICES: Record<string, { max: number; allows: (device: XmlNode) => boolean }> = {
  // libvirt's default QEMU, not any program of the node run with QEMU's rights.
  emulator: { max: 1, allows: (e) => /^\/usr\/(?:bin|libexec)\/(?:qemu-system-x86_64|qemu-kvm)$/.test(text(e) ?? '') },
  disk: { max: 1, allows: (d) => attr(d, 'device') === 'disk' && attr(d, 'type') === 'file' },
  controller: { max: Infinity, allows: (c) => ['usb', 'pci', 'ide', 'sata'].includes(attr(c, 'type') ?? '') },
  interface: { max: 1, allows: (i) => attr(i, 'type') === 'network' },
  serial: { max: 1, allows: (s) => attr(s, 'type') === 'pty' },
  console: { max: 1, allows: (c) => attr(c, 'type') === 'pty' && attr(child(c, 'target'), 'type') === 'serial' },
  input: { max: Infinity, allows: (i) => attr(i, 'bus') === 'ps2' && ['mouse', 'keyboard'].includes(attr(i, 'type') ?? '') },
  audio: { max: Infinity, allows: (a) => attr(a, 'type') === 'none' },
  memballoon: { max: 1, allows: () => true },
};

/** `input[type=evdev]`: a device as the plan shows it, by the attributes that say what it is. */
function describeDevice(name: string, device: XmlNode): string {
  const what = ['type', 'device', 'bus', 'model'].flatMap((a) => (attr(device, a) === undefined ? [] : [`${a}=${attr(device, a)}`]));
  return what.length ? `${name}[${what.join(',')}]` : name;
}

/** The devices the allow-list does not take, sorted, in the plan's words; the forbidden ones have their own counts. */
function devicesNotAllowed(devices: XmlNode | undefined): string {
  const refused: string[] = [];
  const counted: readonly string[] = FORBIDDEN_DEVICES;
  for (const [name, value] of Object.entries(devices ?? {})) {
    if (name.startsWith('@') || name === '#text' || !Array.isArray(value) || counted.includes(name)) continue;
    const allowed = Object.hasOwn(ALLOWED_DEVICES, name) ? ALLOWED_DEVICES[name] : undefined;
    let taken = 0;
    for (const device of value) {
      if (allowed?.allows(device) && taken < allowed.max) taken++;
      else refused.push(describeDevice(name, device));
    }
  }
  return refused.sort().join(', ') || '(none)';
}

/**
 * The disk's backing chain as the definition gives it, `file raw PATH > (end)`: gridops names it
 * to the end (an empty <backingStore/>), so libvirt and QEMU open the base image gridops uploaded
 * with the format gridops checked, and nothing that a header inside it could name. `(probed)`: no
 * chain in the definition, so libvirt reads it from the images.
 */
function backingChain(disk: XmlNode | undefined): string {
  const links: string[] = [];
  for (let store = child(disk, 'backingStore'); store !== undefined; store = child(store, 'backingStore')) {
    const source = child(store, 'source');
    if (attr(store, 'type') === undefined && source === undefined) {
      links.push('(end)');
      break;
    }
    links.push([attr(store, 'type'), attr(child(store, 'format'), 'type'), attr(source, 'file') ?? attr(source, 'dev') ?? attr(source, 'name')].map((v) => v ?? '?').join(' '));
  }
  return links.join(' > ') || '(probed)';
}

/** The XPaths of a domain that gridops owns, normalised (sizes in KiB) as libvirt reports them. */
export function projectDomain(dom: XmlNode): Projection {
  const devices = child(dom, 'devices');
  const disks = children(devices, 'disk').filter((d) => attr(d, 'device') === 'disk');
  const disk = disks[0];
  const ifaces = children(devices, 'interface');
  const iface = ifaces[0];
  const usb = children(devices, 'controller').filter((c) => attr(c, 'type') === 'usb');
  const p: Projection = {
    '/domain/@type': attr(dom, 'type'),
    '/domain/name': text(child(dom, 'name')),
    '/domain/uuid': text(child(dom, 'uuid')),
    [IMAGE_KEY]: attr(child(dom, 'metadata', 'gridops:sandbox'), 'image'),
    '/domain/memory': sizeKiB(child(dom, 'memory')),
    [LIVE_KEYS.currentMemoryKiB]: sizeKiB(child(dom, 'currentMemory')),
    '/domain/vcpu': text(child(dom, 'vcpu')),
    [LIVE_KEYS.cpuShares]: text(child(dom, 'cputune', 'shares')),
    [LIVE_KEYS.hardLimitKiB]: sizeKiB(child(dom, 'memtune', 'hard_limit')),
    [LIVE_KEYS.swapHardLimitKiB]: sizeKiB(child(dom, 'memtune', 'swap_hard_limit')),
    '/domain/resource/partition': text(child(dom, 'resource', 'partition')),
    '/domain/os/boot/@dev': attr(child(dom, 'os', 'boot'), 'dev'),
    '/domain/features/tcg/tb-cache': sizeKiB(child(dom, 'features', 'tcg', 'tb-cache')),
    // QEMU arguments and device properties behind libvirt's back (-device vfio-pci, a romfile on the node, ...): none.
    'count(/domain/qemu:*)': String(Object.keys(dom).filter((k) => k.startsWith('qemu:')).length),
    'count(/domain/devices/disk[@device=disk])': String(disks.length),
    '/domain/devices/disk/source/@file': attr(child(disk, 'source'), 'file'),
    '/domain/devices/disk/backingStore': backingChain(disk),
    '/domain/devices/disk/driver/@type': attr(child(disk, 'driver'), 'type'),
    '/domain/devices/disk/target/@bus': attr(child(disk, 'target'), 'bus'),
    'count(/domain/devices/disk[@device!=disk])': String(children(devices, 'disk').length - disks.length),
    'count(/domain/devices/interface)': String(ifaces.length),
    '/domain/devices/interface/@type': attr(iface, 'type'),
    '/domain/devices/interface/source/@network': attr(child(iface, 'source'), 'network'),
    '/domain/devices/interface/mac/@address': attr(child(iface, 'mac'), 'address'),
    '/domain/devices/interface/model/@type': attr(child(iface, 'model'), 'type'),
    '/domain/devices/interface/target/@dev': attr(child(iface, 'target'), 'dev'),
    '/domain/devices/interface/filterref/@filter': attr(child(iface, 'filterref'), 'filter'),
    // clean-traffic's parameters: an IP of another's (the bridge address, say) would let the guest send from it.
    '/domain/devices/interface/filterref/parameter': children(child(iface, 'filterref'), 'parameter').map((x) => `${attr(x, 'name')}=${attr(x, 'value')}`).sort().join(', ') || undefined,
    '/domain/devices/serial/@type': attr(child(devices, 'serial'), 'type'),
    // What the guest prints goes to this file of the node (written by virtlogd, as root): gridops' log, nowhere else.
    '/domain/devices/serial/log/@file': attr(child(devices, 'serial', 'log'), 'file'),
    '/domain/devices/console/target/@type': attr(child(devices, 'console', 'target'), 'type'),
    '/domain/devices/controller[@type=usb]/@model': usb.map((c) => attr(c, 'model') ?? 'default').join(',') || '(none)',
    'count(/domain/devices/input[@bus=usb])': String(children(devices, 'input').filter((i) => attr(i, 'bus') === 'usb').length),
    'count(/domain/devices/channel[@type=spicevmc])': String(children(devices, 'channel').filter((c) => attr(c, 'type') === 'spicevmc').length),
    [NOT_ALLOWED_KEY]: devicesNotAllowed(devices),
    ...projectConfinement(dom),
  };
  for (const f of FORBIDDEN_DEVICES) p[`count(/domain/devices/${f})`] = String(children(devices, f).length);
  return p;
}

/** The names gridops gives the pool's volumes: base images by sha256, overlays by its first 16 digits (sandbox-names.ts). */
const OWN_VOLUME = /^(?:base-[0-9a-f]{64}\.(?:img|qcow2)|sandbox-[0-9a-f]{16}\.qcow2)$/;

/**
 * gridops' volumes in the pool that neither the wanted image nor the VM's current definition uses:
 * an image replaced without --replace-sandbox is uploaded (with its overlay) while the VM keeps
 * the old one, and a topology that then goes back leaves them, a whole image each, for ever.
 * `images`: the wanted image's sha256 and the ones the definition and the running VM name; `disks`: theirs.
 */
function unusedVolumes(listing: string, images: ReadonlyArray<string | undefined>, disks: ReadonlyArray<string | undefined>): string[] {
  const used = new Set<string>();
  for (const sha of images) {
    if (!sha) continue;
    used.add(baseVolumeName(sha, 'raw')).add(baseVolumeName(sha, 'qcow2')).add(overlayVolumeName(sha));
  }
  for (const disk of disks) if (disk) used.add(disk.split('/').pop()!);
  // `vol-list` prints a table (name, path), with a header unless quiet: a volume's name is its line's first word.
  return listing
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => OWN_VOLUME.test(name) && !used.has(name))
    .sort();
}
