import type { StepRecorder } from './step-recorder.js';
import { PlanningError } from '../errors/index.js';
import type { FieldChange, SandboxEgressChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import { burstBytes, rateBits } from './egress-config.js';
import { parseEgressClass, parseRootQdiscs } from './egress-live.js';
import { fileProbe, parseFileState, sha256, type FileState } from './file-state.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import type { PlanContext, Resource } from './resource.js';
import { sameTcRate } from './tc-rate.js';
import { installTools, packagesForMissingTools, parseTools, toolsProbe, type Tool } from './tool-packages.js';
import { resourceId } from './resource-id.js';
import { missingModulesProbe, parseMissingModules, refuseMissingModules } from './module-presence.js';

/**
 * What the sandbox VM sends, held to the node's `qos.egressMbit` on the host. The VM's egress is
 * what its tap *receives*, and a qdisc only shapes what a device sends, so the tap's ingress
 * redirects everything (u32 match-all, mirred) to an ifb device whose htb root holds it to the
 * rate (measured 95.6-95.8 Mbit/s for 100 between two namespaces). libvirt's own `<bandwidth>`
 * is not used: it needs the police action (outbound) and sfq and the fw classifier (inbound),
 * which kernels like this one lack, and the domain then fails to start.
 *
 * The tap exists only while the VM runs, so a libvirt hook (qemu.d, run at each domain event)
 * loads the tc batch file when the domain has `started`; a running VM also gets it now. A new
 * rate changes the class in place.
 */

/** The htb on the ifb: a handle apart from the node's own egress qdisc (1e9d:). */
export const SANDBOX_QDISC_HANDLE = '1e9e:';
export const SANDBOX_CLASS_ID = '1e9e:10';
export const SANDBOX_EGRESS_TC_FILE = '/etc/gridops/sandbox-egress.tc';
/** libvirt (6.5 and later) runs every script in qemu.d at each QEMU domain event; it finds new scripts at its start. */
export const SANDBOX_EGRESS_HOOK = '/etc/libvirt/hooks/qemu.d/gridops-sandbox-egress';
/** The daemons that run the QEMU hooks: libvirtd, or virtqemud on a host that runs libvirt's modular daemons. */
const QEMU_HOOK_DAEMONS = ['libvirtd.service', 'virtqemud.service'] as const;

/** The ifb device of a tap: its name plus `-ifb`, within Linux's 15 characters. */
export function ifbOf(tap: string): string {
  return `${tap.slice(0, 11)}-ifb`;
}

/** `tc -batch` input: the tap's ingress redirected to the ifb, and the ifb's htb at the rate. */
export function sandboxTcBatch(tap: string, bits: number): string {
  const ifb = ifbOf(tap);
  return [
    '# Managed by gridops: what the sandbox VM sends (its tap receives) goes through the ifb, held to qos.egressMbit.',
    `qdisc replace dev ${tap} handle ffff: ingress`,
    `filter replace dev ${tap} parent ffff: protocol all prio 1 handle 800::1 u32 match u32 0 0 action mirred egress redirect dev ${ifb}`,
    `qdisc replace dev ${ifb} root handle ${SANDBOX_QDISC_HANDLE} htb default 10`,
    sandboxClassLine(ifb, bits),
    '',
  ].join('\n');
}

function sandboxClassLine(ifb: string, bits: number): string {
  const burst = burstBytes(bits);
  return `class replace dev ${ifb} parent ${SANDBOX_QDISC_HANDLE} classid ${SANDBOX_CLASS_ID} htb rate ${bits}bit ceil ${bits}bit burst ${burst}b cburst ${burst}b quantum 60000`;
}

/** The libvirt hook: when the domain has started (its tap exists), make the ifb and load the batch file. */
export function sandboxHook(domain: string, tap: string): string {
  const ifb = ifbOf(tap);
  return [
    '#!/bin/sh',
    '# Managed by gridops: holds what the sandbox VM sends to qos.egressMbit. libvirt runs this at each',
    '# QEMU domain event; the tap exists from `started` until the domain stops.',
    `[ "$1" = ${quote(domain)} ] && [ "$2" = started ] || exit 0`,
    `ip link show dev ${ifb} >/dev/null 2>&1 || ip link add ${ifb} type ifb || exit 1`,
    `ip link set dev ${ifb} up || exit 1`,
    // The ifb outlives the VM: at a restart its htb is still there, and htb cannot be `replace`d by
    // itself ("Change operation not supported"), which failed the hook and so the domain's start.
    `tc qdisc del dev ${ifb} root 2>/dev/null`,
    `exec tc -batch ${SANDBOX_EGRESS_TC_FILE}`,
    '',
  ].join('\n');
}

const DEVICE_NAME = /^[A-Za-z0-9_.@-]{1,15}$/;

/** A shell test that `device` exists in the host's network namespace (sandbox-egress's probe says why ip first). */
function deviceExists(device: string): string {
  return `{ ip link show dev ${quote(device)} >/dev/null 2>&1 || { ! command -v ip >/dev/null 2>&1 && [ -e ${quote(`/sys/class/net/${device}`)} ]; }; }`;
}

/** What the limit and its hook run on the host; missing ones are installed with the change, as egress-limit's are. */
const SANDBOX_TOOLS: readonly Tool[] = ['tc', 'ip'];

/** The modules its tc batch and hook need: the ifb device, the tap's ingress qdisc, the u32 match-all filter, the mirred redirect, and htb. */
const SANDBOX_MODULES = ['ifb', 'sch_ingress', 'cls_u32', 'act_mirred', 'sch_htb'];

interface SandboxProbe {
  tools: Set<string>;
  tapExists: boolean;
  ingress: boolean;
  /** The device the tap's ingress filter redirects to, if any. */
  redirectTo: string | null;
  ifbExists: boolean;
  htb: boolean;
  rate: number | null;
  ceil: number | null;
  files: { tc: FileState; hook: FileState };
  /** Of SANDBOX_MODULES, those modprobe finds nowhere (module-presence.ts); asked only with a limit to set. */
  missingModules: string[];
}

/** The sandbox VM's outgoing bandwidth, on the host: ifb + htb behind its tap (see the file comment). */
export class SandboxEgressResource implements Resource<SandboxEgressChange> {
  readonly kind = 'sandbox-egress' as const;
  readonly id: string;
  private readonly ifb: string;

  /** `mbit` undefined: no limit, so nothing of it may remain. */
  constructor(private readonly spec: { mbit: number | undefined; domain: string; tap: string }) {
    if (!DEVICE_NAME.test(spec.tap)) throw new Error(`not an interface name: ${spec.tap}`);
    this.id = resourceId.sandboxEgress(spec.domain);
    this.ifb = ifbOf(spec.tap);
  }

  probe(): string {
    const tap = quote(this.spec.tap);
    const ifb = quote(this.ifb);
    return probeSections(
      toolsProbe(SANDBOX_TOOLS),
      // `ip link`, which sees this network namespace's devices; /sys only where ip is missing (it is
      // installed with the change): a sysfs mounted from another namespace (a container's) shows that one's.
      `if ${deviceExists(this.spec.tap)}; then echo tap; tc -j qdisc show dev ${tap} 2>/dev/null; fi`,
      `tc -j filter show dev ${tap} parent ffff: 2>/dev/null`,
      `if ${deviceExists(this.ifb)}; then echo ifb; tc -j qdisc show dev ${ifb} 2>/dev/null; echo; tc class show dev ${ifb} 2>/dev/null; fi`,
      fileProbe(SANDBOX_EGRESS_TC_FILE),
      fileProbe(SANDBOX_EGRESS_HOOK),
      // Only with a limit to set: without one nothing of it is loaded, and nothing need be.
      ...(this.spec.mbit === undefined ? [] : [missingModulesProbe(SANDBOX_MODULES)]),
    );
  }

  diff(stdout: string, ctx: PlanContext): SandboxEgressChange | null {
    const live = this.parse(stdout);
    const { mbit } = this.spec;
    if (mbit === undefined) return this.removal(live);
    const where = `${ctx.node.name}: qos.egressMbit for the sandbox VM`;
    const f = ctx.facts.kernel;
    if (!(f.builtinModules.includes('sch_htb') || f.loadedModules.includes('sch_htb') || f.loadableModules)) throw new PlanningError(`${where} needs the kernel's htb qdisc (sch_htb), and the kernel of ${ctx.node.name} has none`, 'use a kernel with CONFIG_NET_SCH_HTB, or remove egressMbit for this node');
    // Before the hook is installed and libvirtd restarted: a module missing there would fail the hook, and so the VM's start.
    refuseMissingModules(live.missingModules, ctx.facts, where, ctx.node.name, 'or remove egressMbit for this node');
    const packages = packagesForMissingTools(SANDBOX_TOOLS, live.tools, ctx.facts, where, ctx.node.name);
    const bits = rateBits(mbit);
    const tc = Buffer.from(sandboxTcBatch(this.spec.tap, bits));
    const hook = Buffer.from(sandboxHook(this.spec.domain, this.spec.tap));
    const steps: SandboxEgressChange['steps'] = [];
    const fields: FieldChange[] = [];
    for (const p of packages) (steps.includes('install-tools') || steps.push('install-tools'), fields.push({ name: p, before: null, after: 'installed' }));
    const differs = (s: FileState, content: Buffer, mode: string) => s.sha256 !== sha256(content) || s.mode !== mode;
    if (differs(live.files.tc, tc, '0644')) (steps.push('write-files'), fields.push({ name: SANDBOX_EGRESS_TC_FILE, before: shaOf(live.files.tc), after: `sha256:${sha256(tc).slice(0, 12)}` }));
    if (differs(live.files.hook, hook, '0755')) (steps.push('write-hook'), fields.push({ name: SANDBOX_EGRESS_HOOK, before: shaOf(live.files.hook), after: `sha256:${sha256(hook).slice(0, 12)}` }));
    // libvirt looks for hook scripts when it starts; a changed one it runs as it is.
    if (!live.files.hook.exists) (steps.push('restart-libvirtd'), fields.push({ name: 'libvirtd', before: null, after: 'restarted (finds the new hook; running VMs keep running)' }));
    if (live.tapExists) {
      const loaded = live.ingress && live.redirectTo === this.ifb && live.ifbExists && live.htb;
      if (!loaded) (steps.push('load'), fields.push({ name: `egress ${this.spec.tap}`, before: null, after: `${bits / 1e6} Mbit/s` }));
      else if (!sameTcRate(live.rate, bits) || !sameTcRate(live.ceil, bits)) (steps.push('rate'), fields.push({ name: `egress ${this.spec.tap}`, before: live.rate ? `${live.rate / 1e6} Mbit/s` : null, after: `${bits / 1e6} Mbit/s` }));
    }
    if (steps.length === 0) return null;
    return {
      kind: 'sandbox-egress',
      id: this.id,
      action: live.files.hook.exists || live.files.tc.exists ? 'update' : 'create',
      tap: this.spec.tap,
      rateBits: bits,
      packages,
      steps,
      fields,
      summary: `limit what the sandbox VM sends (its tap ${this.spec.tap}, through ${this.ifb}) to ${bits / 1e6} Mbit/s${live.tapExists ? '' : '; the VM is not running, its start loads the limit'}`,
    };
  }

  private removal(live: SandboxProbe): SandboxEgressChange | null {
    const fields: FieldChange[] = [];
    if (live.files.hook.exists) fields.push({ name: SANDBOX_EGRESS_HOOK, before: 'present', after: null });
    if (live.files.tc.exists) fields.push({ name: SANDBOX_EGRESS_TC_FILE, before: 'present', after: null });
    if (live.ingress) fields.push({ name: `ingress qdisc on ${this.spec.tap}`, before: 'present', after: null });
    if (live.ifbExists) fields.push({ name: this.ifb, before: 'present', after: null });
    if (fields.length === 0) return null;
    return { kind: 'sandbox-egress', id: this.id, action: 'delete', tap: this.spec.tap, rateBits: null, packages: [], steps: ['remove'], fields, summary: 'remove the sandbox VM\'s egress limit (no qos.egressMbit)' };
  }

  async apply(change: SandboxEgressChange, writer: StepRecorder, ctx: PlanContext): Promise<void> {
    const tap = quote(this.spec.tap);
    const ifb = quote(this.ifb);
    const has = (s: SandboxEgressChange['steps'][number]) => change.steps.includes(s);
    if (has('remove')) {
      await writer.run(`rm -f -- ${quote(SANDBOX_EGRESS_HOOK)} ${quote(SANDBOX_EGRESS_TC_FILE)}`, 'remove the sandbox egress hook and file');
      await writer.run(`if tc qdisc show dev ${tap} ingress 2>/dev/null | grep -q '^qdisc ingress ffff:'; then tc qdisc del dev ${tap} ingress; fi`, `remove the ingress qdisc of ${this.spec.tap}`);
      await writer.run(`if ip link show dev ${ifb} >/dev/null 2>&1; then ip link del dev ${ifb}; fi`, `remove ${this.ifb}`);
      return;
    }
    const bits = change.rateBits!;
    if (has('install-tools')) await installTools(change.packages, ctx.facts, writer);
    if (has('write-files')) {
      await writer.run('mkdir -p /etc/gridops', 'mkdir /etc/gridops');
      await writer.write(SANDBOX_EGRESS_TC_FILE, Buffer.from(sandboxTcBatch(this.spec.tap, bits)), '0644');
    }
    if (has('write-hook')) {
      await writer.run('mkdir -p /etc/libvirt/hooks/qemu.d', 'mkdir /etc/libvirt/hooks/qemu.d');
      await writer.write(SANDBOX_EGRESS_HOOK, Buffer.from(sandboxHook(this.spec.domain, this.spec.tap)), '0755');
    }
    // The daemon that runs the QEMU hooks: libvirtd, or virtqemud where the host runs libvirt's
    // modular daemons. Only a running one (try-restart's meaning), and no error where libvirt is not
    // installed yet: the qos playbook holds the VM's egress too, and may run before the hypervisor playbook.
    if (has('restart-libvirtd')) await writer.run(QEMU_HOOK_DAEMONS.map((u) => `if systemctl is-active --quiet ${u}; then systemctl restart ${u}; fi`).join('\n'), 'restart libvirtd or virtqemud (it finds hooks at start)');
    // The hook itself, as libvirt runs it when the domain has started.
    if (has('load')) await writer.run(`${quote(SANDBOX_EGRESS_HOOK)} ${quote(this.spec.domain)} started begin -`, `load the egress limit of ${this.spec.tap}`);
    if (has('rate')) await writer.run(`tc ${sandboxClassLine(this.ifb, bits)}`, `sandbox egress: ${bits / 1e6} Mbit/s`);
  }

  private parse(stdout: string): SandboxProbe {
    const [tools = '', tapPart = '', filters = '', ifbPart = '', tcFile = '', hookFile = '', modules = ''] = splitProbeSections(stdout);
    const [tapFlag = '', ...tapRest] = tapPart.split('\n');
    const [ifbFlag = '', ifbQdiscs = '', ...ifbClasses] = ifbPart.split('\n');
    let redirectTo: string | null = null;
    try {
      const list = JSON.parse(filters.trim() || '[]') as Array<{ options?: { actions?: Array<{ kind?: string; mirred_action?: string; direction?: string; to_dev?: string }> } }>;
      const mirred = list.flatMap((f) => f.options?.actions ?? []).find((a) => a.kind === 'mirred' && a.mirred_action === 'redirect' && a.direction === 'egress');
      redirectTo = mirred?.to_dev ?? null;
    } catch {
      redirectTo = null;
    }
    const cls = parseEgressClass(ifbClasses.join('\n'), SANDBOX_CLASS_ID);
    return {
      tools: parseTools(tools),
      tapExists: tapFlag.trim() === 'tap',
      ingress: parseIngress(tapRest.join('\n')),
      redirectTo,
      ifbExists: ifbFlag.trim() === 'ifb',
      htb: parseRootQdiscs(ifbQdiscs).some((q) => q.kind === 'htb' && q.handle === SANDBOX_QDISC_HANDLE),
      rate: cls?.rate ?? null,
      ceil: cls?.ceil ?? null,
      files: { tc: parseFileState(tcFile), hook: parseFileState(hookFile) },
      missingModules: parseMissingModules(modules),
    };
  }
}

/** Whether `tc -j qdisc show dev TAP` lists the ingress qdisc. */
function parseIngress(json: string): boolean {
  try {
    const list = JSON.parse(json.trim() || '[]') as Array<{ kind?: string; handle?: string }>;
    return list.some((q) => q.kind === 'ingress' && q.handle === 'ffff:');
  } catch {
    return false;
  }
}

function shaOf(f: FileState): string | null {
  return f.exists ? `sha256:${f.sha256?.slice(0, 12) ?? '?'}` : null;
}
