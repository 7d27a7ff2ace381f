import type { StepRecorder } from './step-recorder.js';
import { PlanningError } from '../errors/index.js';
import type { HostFacts } from '../facts/host-facts.js';
import { uplinkDevice } from '../facts/uplink.js';
import type { EgressLimitChange, EgressLimitStep, FieldChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import {
  EGRESS_CLASS_ID,
  EGRESS_DEFAULT_CLASS_ID,
  EGRESS_DROPIN_FILE,
  EGRESS_LEAF_HANDLES,
  EGRESS_NFT_FILE,
  EGRESS_NFT_TABLE,
  EGRESS_QDISC_HANDLE,
  EGRESS_TC_FILE,
  EGRESS_UNIT,
  EGRESS_UNIT_FILE,
  GRID_SLICE,
  GRID_USER,
  NFTABLES_DROPIN_DIR,
  UNSHAPED_BITS,
  deviceUnitName,
  egressNftablesDropin,
  egressUnit,
  nftRules,
  rateBits,
  tcBatch,
  tcClassLine,
  type EgressClassifier,
  type LeafQdisc,
} from './egress-config.js';
import { expectedNftTable, isEgressQdisc, isKernelDefaultQdisc, parseEgressClass, parseLeafQdiscs, parseNftTable, parseRootQdiscs, type EgressClass, type NftTableSummary } from './egress-live.js';
import { fileProbe, parseFileState, sha256, type FileState } from './file-state.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import type { PlanContext, Resource } from './resource.js';
import { sameTcRate, tcShownRate } from './tc-rate.js';
import { installTools, packagesForMissingTools, parseTools, toolsProbe, type Tool } from './tool-packages.js';
import { resourceId } from './resource-id.js';
import { missingModulesProbe, parseMissingModules, refuseMissingModules } from './module-presence.js';
import { ADDRESSES_PROBE, DEFAULT_ROUTES_PROBE, otherEgressPaths, unlimitedPathsText } from './egress-paths.js';
import { matchesCgroupInNamespace } from './nft-socket-cgroup-namespace.js';

/** What the limit runs on the node; missing ones are installed with the change. */
const EGRESS_TOOLS: readonly Tool[] = ['tc', 'nft'];

/** Linux interface names as gridops accepts them in files and commands: at most 15 characters, no slash or blank. */
const DEVICE_NAME = /^[A-Za-z0-9_.@-]{1,15}$/;

/**
 * A printf format for a throwaway ruleset that `nft -c` checks (the kernel validates it, nothing
 * is committed): with no rule, any kernel with nf_tables accepts it; with a `socket cgroupv2` rule,
 * only one with NFT_SOCKET.
 */
const NFT_CHECK = (rule: string) => `table inet gridops_check {\\n  chain c {\\n    type filter hook output priority 0; policy accept;\\n${rule}  }\\n}\\n`;

/** What the probe found, parsed. */
interface EgressProbe {
  tools: Set<string>;
  roots: ReturnType<typeof parseRootQdiscs>;
  /** `tc -j qdisc show` as printed, for the leaf qdiscs of the uplink. */
  qdiscJson: string;
  /** gridops' class on each device that carries gridops' qdisc. */
  classes: Map<string, EgressClass | null>;
  /** gridops' default class on each device that carries gridops' qdisc. */
  defaultClasses: Map<string, EgressClass | null>;
  table: NftTableSummary | null;
  /** The cgroup2 mount relative to /sys/fs/cgroup (`` on v2, `unified/` on hybrid), or null without one. */
  cgroup2: string | null;
  /** That mount's top is a cgroup namespace's root (the node is a container), not the kernel's root cgroup. */
  cgroupNamespaced: boolean;
  /** nft's check of a plain table, and of a `socket cgroupv2` rule: `ok`, an error line, or null when not run. */
  nftCheck: string | null;
  socketCheck: string | null;
  /** The kernel has fq_codel (the default qdisc, loaded, or a module or built in by modules.dep/modules.builtin). */
  fqCodel: boolean;
  files: { tc: FileState; nft: FileState; unit: FileState; dropin: FileState };
  enabled: boolean;
  /** `systemctl is-active` of the unit: `active`, `inactive`, `failed`, ... */
  active: string;
  /** The network device units systemd has active (none where udev does not run, as in a container). */
  deviceUnits: Set<string>;
  gridUid: number | null;
  /** Of EGRESS_MODULES, those modprobe finds nowhere (module-presence.ts); asked only with a limit to set. */
  missingModules: string[];
  /** Every table's default routes and the node's addresses, as `ip -o` prints them (egress-paths.ts); asked only with a limit to set. */
  defaultRoutes: string;
  addresses: string;
}

/** The modules the limit needs: htb, for the qdisc and its classes (fq_codel and nftables have checks of their own). */
const EGRESS_MODULES = ['sch_htb'];

/**
 * The outgoing bandwidth of grid work (the processes in grid.slice) on the node's uplink, held to
 * the node's `qos.egressMbit`: an htb qdisc with one class at that rate, and an nftables rule that
 * puts the traffic of sockets in grid.slice into that class (`meta priority`, which htb
 * classifies on without a tc filter). Other traffic passes unshaped. A oneshot unit loads both at
 * boot from files gridops writes. A new rate changes the class in place; no limit removes every
 * gridops qdisc, rule, file and the unit. The limit is on the uplink alone: every plan names the
 * other devices grid traffic may leave by (egress-paths.ts), which it does not hold.
 *
 * Where the kernel cannot match sockets by cgroup (no cgroup2, or no NFT_SOCKET), grid traffic is
 * that of the user `gridwork` instead, and the plan says so. The removal leaves that user: it may
 * own grid work's files, which deleting it would orphan (a later user could get its uid); reset deletes it.
 */
export class EgressLimitResource implements Resource<EgressLimitChange> {
  readonly kind = 'egress-limit' as const;
  readonly id = resourceId.egressLimit;

  /** `mbit` undefined: the node has no limit, so gridops' objects must not exist. */
  constructor(private readonly mbit: number | undefined) {}

  probe(): string {
    // A node without a limit is asked only what of gridops' it still has (removal reads no more):
    // the tools, the root qdiscs, the kernel's checks, the unit's state and the device units serve a
    // limit being set, and cost such a node 2 nft and 3 systemctl processes on every read. `:` keeps
    // each section's place, so one parse reads both.
    const forLimit = (snippet: string) => (this.mbit === undefined ? ':' : snippet);
    return probeSections(
      forLimit(toolsProbe(EGRESS_TOOLS)),
      forLimit('tc -j qdisc show 2>/dev/null'),
      // gridops' class on each device that carries gridops' qdisc, one `dev NAME` line before each.
      `tc qdisc show 2>/dev/null | while read -r _ kind handle _ dev _; do if [ "$kind $handle" = ${quote(`htb ${EGRESS_QDISC_HANDLE}`)} ]; then echo "dev $dev"; tc class show dev "$dev"; fi; done`,
      `nft -j list table inet ${EGRESS_NFT_TABLE} 2>/dev/null`,
      forLimit([
        'if [ -e /sys/fs/cgroup/cgroup.controllers ]; then p=; elif [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then p=unified/; else p=-; fi',
        'echo "cgroup2 $p"',
        // cgroup.type is on every cgroup but the kernel's root: where the mount has one, its top is a
        // cgroup namespace's root (a container's view: LXC, nspawn), not the kernel's.
        'if [ "$p" != - ] && [ -e "/sys/fs/cgroup/${p}cgroup.type" ]; then echo "cgroup2-root nested"; fi',
        // nft -c has the kernel check the rules and commit nothing: `ok`, or nft's first error line.
        'chk() { if out=$(printf "$@" | nft -c -f - 2>&1); then echo ok; else printf \'%s\\n\' "$out" | head -n 1; fi; }',
        'if command -v nft >/dev/null 2>&1; then',
        `  echo "nft $(chk '${NFT_CHECK('')}')"`,
        // init.scope is always there under systemd; grid.slice may not be yet.
        `  if [ "$p" != - ]; then echo "socket $(chk '${NFT_CHECK('    socket cgroupv2 level 1 %s accept\\n')}' "\\"\${p}init.scope\\"")"; fi`,
        'fi',
        `u=$(id -u ${GRID_USER} 2>/dev/null) && echo "uid $u"`,
        // fq_codel for htb's leaves: where the kernel has none, its default qdisc is no fair queue either.
        'm=/lib/modules/$(uname -r)',
        `if grep -qsx fq_codel /proc/sys/net/core/default_qdisc || [ -d /sys/module/sch_fq_codel ] || tc qdisc show 2>/dev/null | grep -q '^qdisc fq_codel ' || grep -qs '/sch_fq_codel\\.ko' "$m/modules.builtin" "$m/modules.dep"; then echo "fq_codel ok"; else echo "fq_codel -"; fi`,
      ].join('\n')),
      fileProbe(EGRESS_TC_FILE),
      fileProbe(EGRESS_NFT_FILE),
      fileProbe(EGRESS_UNIT_FILE),
      forLimit(`systemctl is-enabled ${EGRESS_UNIT} 2>/dev/null || true`),
      fileProbe(EGRESS_DROPIN_FILE),
      forLimit(`systemctl is-active ${EGRESS_UNIT} 2>/dev/null || true`),
      forLimit("systemctl list-units --all --plain --no-legend --type=device 'sys-subsystem-net-devices-*' 2>/dev/null || true"),
      // Only with a limit to set: a node without one has no use for htb, and loads none.
      ...(this.mbit === undefined ? [] : [missingModulesProbe(EGRESS_MODULES), DEFAULT_ROUTES_PROBE, ADDRESSES_PROBE]),
    );
  }

  diff(stdout: string, ctx: PlanContext): EgressLimitChange | null {
    const live = parseProbe(stdout);
    return this.mbit === undefined ? removal(live) : this.desired(live, this.mbit, ctx);
  }

  private desired(live: EgressProbe, mbit: number, { node, facts }: PlanContext): EgressLimitChange | null {
    const where = `${node.name}: qos.egressMbit`;
    const device = uplinkDevice(facts, node.address);
    if (!device) throw new PlanningError(`${where} needs the node's uplink, but it has no default route and no device carries its address ${node.address}`, 'give the node a default route, or set its address to one of its own IP addresses');
    if (!DEVICE_NAME.test(device)) throw new PlanningError(`${where}: the uplink's name ${JSON.stringify(device)} is not a plain interface name`, 'rename the interface');
    if (!htbAvailable(facts)) throw new PlanningError(`${where} needs the kernel's htb qdisc (sch_htb), and the kernel of ${node.name} has none`, 'use a kernel with CONFIG_NET_SCH_HTB, or remove egressMbit for this node');
    refuseMissingModules(live.missingModules, facts, where, node.name, 'or remove egressMbit for this node');
    if (live.nftCheck !== null && live.nftCheck !== 'ok') throw new PlanningError(`${where} needs nftables in the kernel (nf_tables), and ${node.name} refuses a plain table: ${live.nftCheck}`, 'use a kernel with CONFIG_NF_TABLES, or remove egressMbit for this node');
    const foreign = live.roots.find((q) => q.device === device && !isEgressQdisc(q) && !isKernelDefaultQdisc(q));
    if (foreign) throw new PlanningError(`${where}: the uplink ${device} of ${node.name} already has a ${foreign.kind} root qdisc (${foreign.handle}) that gridops did not make`, `remove it (tc qdisc del dev ${device} root) or remove egressMbit for this node`);
    const packages = packagesForMissingTools(EGRESS_TOOLS, live.tools, facts, where, node.name);

    const { classifier, fallback } = chooseClassifier(live, facts);
    const bits = rateBits(mbit);
    const layout: QueueLayout = { leafQdisc: live.fqCodel ? 'fq_codel' : null, boundToDevice: live.deviceUnits.has(deviceUnitName(device)) };
    const want = {
      tc: Buffer.from(tcBatch(device, bits, layout.leafQdisc)),
      nft: Buffer.from(nftRules(classifier)),
      unit: Buffer.from(egressUnit(device, classifier, layout)),
      dropin: Buffer.from(egressNftablesDropin()),
    };
    const steps: EgressLimitStep[] = [];
    const fields: FieldChange[] = [];
    const step = (s: EgressLimitStep, f?: FieldChange) => {
      if (!steps.includes(s)) steps.push(s);
      if (f) fields.push(f);
    };
    if (fallback) fields.push({ name: 'grid traffic', before: null, after: `user ${GRID_USER} (fallback: ${fallback})` });
    for (const p of packages) step('install-tools', { name: p, before: null, after: 'installed' });
    if (classifier.by === 'user' && live.gridUid === null) step('create-user', { name: 'user', before: null, after: GRID_USER });
    const fileDiffers = (state: FileState, content: Buffer) => state.sha256 !== sha256(content) || state.mode !== '0644';
    if (fileDiffers(live.files.tc, want.tc)) step('write-files', { name: EGRESS_TC_FILE, before: shaOf(live.files.tc), after: `sha256:${sha256(want.tc).slice(0, 12)}` });
    if (fileDiffers(live.files.nft, want.nft)) step('write-files', { name: EGRESS_NFT_FILE, before: shaOf(live.files.nft), after: `sha256:${sha256(want.nft).slice(0, 12)}` });
    if (fileDiffers(live.files.unit, want.unit)) step('write-unit', { name: EGRESS_UNIT_FILE, before: shaOf(live.files.unit), after: `sha256:${sha256(want.unit).slice(0, 12)}` });
    if (fileDiffers(live.files.dropin, want.dropin)) step('write-unit', { name: EGRESS_DROPIN_FILE, before: shaOf(live.files.dropin), after: `sha256:${sha256(want.dropin).slice(0, 12)}` });
    if (!live.enabled) step('enable', { name: 'enabled', before: 'no', after: EGRESS_UNIT });
    const others = [...live.classes.keys()].filter((d) => d !== device);
    if (others.length) step('clear', { name: 'qdisc on', before: others.join(', '), after: null });
    const current = live.classes.get(device);
    const rateText = (c: EgressClass | null | undefined) => (c?.rate ? `${formatMbit(c.rate)}${c.ceil !== c.rate ? ` (ceil ${c.ceil ? formatMbit(c.ceil) : '?'})` : ''}` : null);
    // What the unit's restart puts right: it loads the qdisc, its classes and the rules from the files.
    const reload: FieldChange[] = [];
    if (live.classes.has(device) && !UNIT_UP.has(live.active)) reload.push({ name: EGRESS_UNIT, before: live.active, after: 'active' });
    const queues = { have: liveQueues(live, device, layout.leafQdisc), want: wantedQueues(layout.leafQdisc) };
    if (live.classes.has(device) && queues.have !== queues.want) reload.push({ name: `egress ${device} queues`, before: queues.have, after: queues.want });
    if (!live.classes.has(device)) {
      // No qdisc on the uplink: the unit loads everything, as it will at boot.
      step('load', { name: `egress ${device}`, before: null, after: formatMbit(bits) });
    } else if (reload.length) {
      for (const f of reload) step('load', f);
    } else {
      if (!current || !sameTcRate(current.rate, bits) || !sameTcRate(current.ceil, bits)) step('rate', { name: `egress ${device}`, before: rateText(current), after: formatMbit(bits) });
      const expected = expectedNftTable(nftMatch(classifier, live.gridUid));
      if (!sameTable(live.table, expected) || steps.includes('create-user')) step('rules', { name: `nft table inet ${EGRESS_NFT_TABLE}`, before: live.table ? 'differs' : null, after: classifierText(classifier) });
    }
    const unlimited = otherEgressPaths(live.defaultRoutes, live.addresses, node.address, device);
    const why = [
      ...(fallback ? [`grid traffic is that of user ${GRID_USER}, not of ${GRID_SLICE}, because ${fallback}: run grid work as ${GRID_USER}`] : []),
      ...(unlimited.length ? [unlimitedPathsText(unlimited, device)] : []),
    ].map((note) => `; ${note}`).join('');
    if (steps.length === 0) {
      if (!why) return null;
      return { ...base(device, bits, classifier, layout), action: 'none', steps: [], fields: [], summary: `egress limit ${formatMbit(bits)} on ${device}${why}` };
    }
    const existed = live.files.unit.exists || live.files.tc.exists || live.classes.size > 0 || live.table !== null;
    return {
      ...base(device, bits, classifier, layout),
      action: existed ? 'update' : 'create',
      clearDevices: others,
      packages,
      steps,
      fields,
      summary: `limit the outgoing traffic of ${classifier.by === 'cgroup' ? GRID_SLICE : `user ${GRID_USER}`} on ${device} to ${formatMbit(bits)}${why}`,
    };
  }

  async apply(change: EgressLimitChange, writer: StepRecorder, ctx: PlanContext): Promise<void> {
    if (change.action === 'delete') return applyRemoval(change, writer);
    const device = change.device!;
    const bits = change.rateBits!;
    const classifier: EgressClassifier = change.classifier === 'user' ? { by: 'user', user: GRID_USER } : { by: 'cgroup', path: cgroupPath(ctx.facts) };
    const has = (s: EgressLimitStep) => change.steps.includes(s);
    if (has('install-tools')) await installTools(change.packages, ctx.facts, writer);
    if (has('create-user')) await writer.run(`id -u ${GRID_USER} >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ${GRID_USER}`, `create user ${GRID_USER}`);
    if (has('write-files')) {
      await writer.run('mkdir -p /etc/gridops', 'mkdir /etc/gridops');
      await writer.write(EGRESS_TC_FILE, Buffer.from(tcBatch(device, bits, change.leafQdisc)), '0644');
      await writer.write(EGRESS_NFT_FILE, Buffer.from(nftRules(classifier)), '0644');
    }
    if (has('write-unit')) {
      await writer.run(`mkdir -p -m 0755 ${NFTABLES_DROPIN_DIR}`, `mkdir ${NFTABLES_DROPIN_DIR}`);
      await writer.write(EGRESS_UNIT_FILE, Buffer.from(egressUnit(device, classifier, { boundToDevice: change.boundToDevice })), '0644');
      await writer.write(EGRESS_DROPIN_FILE, Buffer.from(egressNftablesDropin()), '0644');
      writer.unitFileChanged();
    }
    await writer.reloadSystemdIfNeeded();
    // reenable: a rewritten unit's [Install] section may name other targets.
    if (has('write-unit')) await writer.run(`systemctl reenable ${EGRESS_UNIT}`, `enable ${EGRESS_UNIT}`);
    else if (has('enable')) await writer.run(`systemctl enable ${EGRESS_UNIT}`, `enable ${EGRESS_UNIT}`);
    for (const d of change.clearDevices) await writer.run(removeQdisc(d), `remove the egress qdisc from ${d}`);
    if (has('load')) await writer.run(`systemctl restart ${EGRESS_UNIT}`, `load the egress limit on ${device}`);
    if (has('rate')) await writer.run(`tc ${tcClassLine(quote(device), bits)}`, `egress limit on ${device}: ${formatMbit(bits)}`);
    if (has('rules')) await writer.run(`nft -f ${EGRESS_NFT_FILE}`, `load ${EGRESS_NFT_FILE}`);
  }
}

/** How the qdisc and the unit are laid out on this node, from what its kernel and systemd have. */
interface QueueLayout {
  leafQdisc: LeafQdisc;
  boundToDevice: boolean;
}

function base(device: string, bits: number, classifier: EgressClassifier, layout: QueueLayout) {
  return { kind: 'egress-limit' as const, id: resourceId.egressLimit, device, rateBits: bits, classifier: classifier.by, clearDevices: [] as string[], packages: [] as string[], ...layout };
}

/** States of a running oneshot (RemainAfterExit): a reload keeps it up. */
const UNIT_UP = new Set(['active', 'reloading']);

/** The uplink's queues as the plan shows them: htb's default class with its rate, and each class's leaf (where fq_codel is wanted). */
function queuesText(defaultMinor: number | null, defaultRate: number | null, leaves: ReadonlyMap<string, string> | null): string {
  if (defaultMinor === null) return 'no default class';
  const classId = `${EGRESS_DEFAULT_CLASS_ID.split(':')[0]}:${defaultMinor.toString(16)}`;
  const parts = [`default ${classId}${defaultRate === null ? ' (no such class)' : ` at ${formatMbit(tcShownRate(defaultRate))}`}`];
  if (leaves) {
    // htb's own leaf (pfifo) is not listed by tc.
    const kinds = Object.keys(EGRESS_LEAF_HANDLES).map((c) => [c, leaves.get(c) ?? 'pfifo'] as const);
    parts.push(kinds.every(([, k]) => k === kinds[0]![1]) ? `${kinds[0]![1]} in ${kinds.map(([c]) => c).join(' and ')}` : kinds.map(([c, k]) => `${k} in ${c}`).join(', '));
  }
  return parts.join(', ');
}

function wantedQueues(leaf: LeafQdisc): string {
  return queuesText(parseInt(EGRESS_DEFAULT_CLASS_ID.split(':')[1]!, 16), UNSHAPED_BITS, leaf === null ? null : new Map(Object.keys(EGRESS_LEAF_HANDLES).map((c) => [c, leaf])));
}

function liveQueues(live: EgressProbe, device: string, leaf: LeafQdisc): string {
  const root = live.roots.find((q) => q.device === device && isEgressQdisc(q));
  const defaultClass = live.defaultClasses.get(device);
  return queuesText(root?.defaultMinor ?? null, defaultClass?.rate ?? null, leaf === null ? null : parseLeafQdiscs(live.qdiscJson, device));
}

/** Nothing of gridops' egress limit may remain: the unit, its files, the rule, every gridops qdisc. */
function removal(live: EgressProbe): EgressLimitChange | null {
  const fields: FieldChange[] = [];
  if (live.files.unit.exists) fields.push({ name: EGRESS_UNIT_FILE, before: 'present', after: null });
  if (live.files.dropin.exists) fields.push({ name: EGRESS_DROPIN_FILE, before: 'present', after: null });
  for (const [device, c] of live.classes) fields.push({ name: `egress ${device}`, before: c?.rate ? formatMbit(c.rate) : 'qdisc', after: null });
  if (live.table) fields.push({ name: `nft table inet ${EGRESS_NFT_TABLE}`, before: 'present', after: null });
  for (const [name, f] of [[EGRESS_TC_FILE, live.files.tc], [EGRESS_NFT_FILE, live.files.nft]] as const) if (f.exists) fields.push({ name, before: 'present', after: null });
  if (fields.length === 0) return null;
  return {
    kind: 'egress-limit',
    id: resourceId.egressLimit,
    action: 'delete',
    device: null,
    rateBits: null,
    classifier: null,
    clearDevices: [...live.classes.keys()],
    leafQdisc: null,
    boundToDevice: false,
    packages: [],
    steps: ['remove'],
    fields,
    summary: 'remove the egress limit of grid work (no qos.egressMbit)',
  };
}

async function applyRemoval(change: EgressLimitChange, writer: StepRecorder): Promise<void> {
  const unit = quote(EGRESS_UNIT_FILE);
  await writer.run(`if [ -e ${unit} ]; then systemctl disable --now ${EGRESS_UNIT} && rm -f -- ${unit}; fi`, `stop and remove ${EGRESS_UNIT}`);
  // Its drop-in for nftables.service, and the directory where nothing else is in it (gridops made it).
  await writer.run(`rm -f -- ${quote(EGRESS_DROPIN_FILE)}; rmdir ${NFTABLES_DROPIN_DIR} 2>/dev/null || true`, `remove ${EGRESS_DROPIN_FILE}`);
  writer.unitFileChanged();
  await writer.reloadSystemdIfNeeded();
  await writer.run(`if nft list table inet ${EGRESS_NFT_TABLE} >/dev/null 2>&1; then nft delete table inet ${EGRESS_NFT_TABLE}; fi`, `remove nft table inet ${EGRESS_NFT_TABLE}`);
  for (const d of change.clearDevices) await writer.run(removeQdisc(d), `remove the egress qdisc from ${d}`);
  await writer.run(`rm -f -- ${quote(EGRESS_TC_FILE)} ${quote(EGRESS_NFT_FILE)}`, 'remove the egress files');
}

/** Removes gridops' root qdisc from a device, and only gridops' (the device's default comes back). */
function removeQdisc(device: string): string {
  const d = quote(device);
  return `if tc qdisc show dev ${d} root 2>/dev/null | grep -q ${quote(`^qdisc htb ${EGRESS_QDISC_HANDLE} `)}; then tc qdisc del dev ${d} root handle ${EGRESS_QDISC_HANDLE}; fi`;
}

function parseProbe(stdout: string): EgressProbe {
  const [tools = '', qdiscs = '', classes = '', table = '', checks = '', tcFile = '', nftFile = '', unitFile = '', enabled = '', dropinFile = '', active = '', devices = '', modules = '', defaultRoutes = '', addresses = ''] = splitProbeSections(stdout);
  const byDevice = new Map<string, EgressClass | null>();
  const defaultByDevice = new Map<string, EgressClass | null>();
  let device: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (device === undefined) return;
    byDevice.set(device, parseEgressClass(lines.join('\n'), EGRESS_CLASS_ID));
    defaultByDevice.set(device, parseEgressClass(lines.join('\n'), EGRESS_DEFAULT_CLASS_ID));
  };
  for (const line of classes.split('\n')) {
    const m = /^dev (\S+)$/.exec(line);
    if (m) {
      flush();
      device = m[1]!;
      lines = [];
    } else lines.push(line);
  }
  flush();
  const check = (key: string) => {
    const line = checks.split('\n').find((l) => l.startsWith(`${key} `));
    return line === undefined ? null : line.slice(key.length + 1).trim();
  };
  const cgroup2 = check('cgroup2');
  const uid = check('uid');
  return {
    tools: parseTools(tools),
    roots: parseRootQdiscs(qdiscs),
    qdiscJson: qdiscs,
    classes: byDevice,
    defaultClasses: defaultByDevice,
    table: parseNftTable(table),
    cgroup2: cgroup2 === null || cgroup2 === '-' ? null : cgroup2,
    cgroupNamespaced: check('cgroup2-root') === 'nested',
    nftCheck: check('nft'),
    socketCheck: check('socket'),
    fqCodel: check('fq_codel') === 'ok',
    files: { tc: parseFileState(tcFile), nft: parseFileState(nftFile), unit: parseFileState(unitFile), dropin: parseFileState(dropinFile) },
    enabled: enabled.trim() === 'enabled',
    active: active.trim().split('\n')[0] || 'inactive',
    deviceUnits: activeDeviceUnits(devices),
    gridUid: uid !== null && /^\d+$/.test(uid) ? Number(uid) : null,
    missingModules: parseMissingModules(modules),
    defaultRoutes,
    addresses,
  };
}

/** The active units in `systemctl list-units --plain --no-legend` output (UNIT LOAD ACTIVE SUB DESCRIPTION; a failed one may start with a bullet). */
function activeDeviceUnits(listing: string): Set<string> {
  const units = new Set<string>();
  for (const line of listing.split('\n')) {
    const words = line.trim().split(/\s+/).filter((w) => w !== '●');
    if (words[0]?.endsWith('.device') && words[2] === 'active') units.add(words[0]);
  }
  return units;
}

/** Where grid.slice's cgroup is, relative to /sys/fs/cgroup, as nft wants it. */
function cgroupPath(facts: HostFacts): string {
  return `${facts.cgroup === 'hybrid' ? 'unified/' : ''}${GRID_SLICE}`;
}

/** By cgroup where the node can, else by user, with the reason. */
function chooseClassifier(live: EgressProbe, facts: HostFacts): { classifier: EgressClassifier; fallback?: string } {
  const user = { by: 'user', user: GRID_USER } as const;
  if (facts.cgroup === 'v1' || facts.cgroup === 'none' || (live.tools.has('nft') && live.cgroup2 === null)) return { classifier: user, fallback: 'the node has no cgroup v2 hierarchy for nftables to match' };
  // In a container, a kernel without nft_socket's namespace fix loads the rule and matches no socket with it: grid work would go unlimited.
  if (live.cgroupNamespaced && !matchesCgroupInNamespace(facts.kernel.release)) {
    return { classifier: user, fallback: `the node's cgroup tree is a cgroup namespace's (a container) and its kernel ${facts.kernel.release} predates nftables' fix for matching sockets by cgroup there (commit 7f3287db6543: Linux 6.12, 6.10.12, 6.6.53, 6.1.112), so the rule would match nothing` };
  }
  if (live.socketCheck !== null && live.socketCheck !== 'ok') return { classifier: user, fallback: `its kernel cannot match sockets by cgroup (nftables socket cgroupv2, NFT_SOCKET: ${live.socketCheck})` };
  return { classifier: { by: 'cgroup', path: cgroupPath(facts) } };
}

/** The rule's match as `nft -j` prints it (a user by its uid, which nft resolved at load). */
function nftMatch(classifier: EgressClassifier, uid: number | null): unknown {
  return classifier.by === 'cgroup' ? { op: '==', left: { socket: { key: 'cgroupv2' } }, right: classifier.path } : { op: '==', left: { meta: { key: 'skuid' } }, right: uid };
}

function sameTable(a: NftTableSummary | null, b: NftTableSummary): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}

/** htb is there when built in (sch_htb has parameters, so it always shows in /sys/module), loaded, or loadable. */
function htbAvailable(facts: HostFacts): boolean {
  return facts.kernel.builtinModules.includes('sch_htb') || facts.kernel.loadedModules.includes('sch_htb') || facts.kernel.loadableModules;
}

function classifierText(c: EgressClassifier): string {
  return c.by === 'cgroup' ? `sockets of ${GRID_SLICE} -> ${EGRESS_QDISC_HANDLE}10` : `sockets of user ${c.user} -> ${EGRESS_QDISC_HANDLE}10`;
}

function shaOf(f: FileState): string | null {
  return f.exists ? `sha256:${f.sha256?.slice(0, 12) ?? '?'}` : null;
}

/** `100 Mbit/s`, `0.5 Mbit/s`. */
function formatMbit(bits: number): string {
  return `${Number((bits / 1e6).toFixed(3))} Mbit/s`;
}
