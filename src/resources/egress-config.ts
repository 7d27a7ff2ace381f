/**
 * What an egress limit is made of on a node, as text gridops writes and the kernel reads: the
 * names gridops owns, the tc batch file, the nftables rules and the oneshot unit that loads both
 * at boot. Pure: the egress-limit resource diffs the live state against these.
 */

/** The htb qdisc's handle major (hex, as tc and nft print it): unusual, so it is clearly gridops'. */
export const EGRESS_QDISC_HANDLE = '1e9d:';
/** The htb class grid traffic goes to; nft sets skb->priority to it and htb classifies on that (no tc filter). */
export const EGRESS_CLASS_ID = '1e9d:10';
/**
 * The htb class everything else goes to (htb's `default`, the minor in hex). Without a default,
 * htb sends unclassified traffic, all of the owner's, to its direct queue: one plain FIFO of
 * txqueuelen packets in place of the kernel's default qdisc (fq_codel on Debian).
 */
export const EGRESS_DEFAULT_CLASS_ID = '1e9d:20';
const EGRESS_DEFAULT_MINOR = '20';
/**
 * The default class's rate and ceiling: 1 Tbit/s, above the speed of any link a node has. An htb
 * class whose rate is above the link's never holds traffic back (the device is the slower one, so
 * the queue forms in the class's leaf qdisc), and a fixed value keeps the tc file the same when a
 * link renegotiates its speed or reports none (-1 on virtual devices).
 */
export const UNSHAPED_BITS = 1_000_000_000_000;
/** The qdisc in each htb class (fq_codel: fair queuing and AQM, as Debian's default_qdisc), or null for htb's own pfifo where the kernel has no fq_codel. */
export type LeafQdisc = 'fq_codel' | null;
/** Each class's leaf qdisc handle, named after the class, so that `qdisc replace` finds and changes it in place. */
export const EGRESS_LEAF_HANDLES: Readonly<Record<string, string>> = { [EGRESS_CLASS_ID]: '10:', [EGRESS_DEFAULT_CLASS_ID]: '20:' };
/** The nftables table gridops owns (family inet: IPv4 and IPv6). */
export const EGRESS_NFT_TABLE = 'gridops_egress';
export const EGRESS_TC_FILE = '/etc/gridops/egress.tc';
export const EGRESS_NFT_FILE = '/etc/gridops/egress.nft';
export const EGRESS_UNIT = 'gridops-egress.service';
export const EGRESS_UNIT_FILE = `/etc/systemd/system/${EGRESS_UNIT}`;
/** Drop-ins of the nftables service; Debian's package ships none, so gridops makes the directory. */
export const NFTABLES_DROPIN_DIR = '/etc/systemd/system/nftables.service.d';
/** gridops' drop-in there: loads the rules again after nftables' start flushed them. */
export const EGRESS_DROPIN_FILE = `${NFTABLES_DROPIN_DIR}/gridops-egress.conf`;
/** The slice whose processes' traffic is grid traffic (playbook qos makes it). */
export const GRID_SLICE = 'grid.slice';
/** The user grid work runs as where the kernel cannot match sockets by cgroup. */
export const GRID_USER = 'gridwork';

/**
 * How grid traffic is told apart: by the cgroup of the sending socket (grid.slice, at `path`
 * relative to /sys/fs/cgroup, which nft resolves when the rules load), or, as a fallback, by the
 * sending socket's user.
 */
export type EgressClassifier = { by: 'cgroup'; path: string } | { by: 'user'; user: string };

/** The limit in bit/s as tc stores it (whole bytes per second). */
export function rateBits(mbit: number): number {
  return Math.max(1, Math.round((mbit * 1_000_000) / 8)) * 8;
}

/**
 * htb's bucket: 5 ms at the rate, at least 64 KiB. tc's default (one timer tick at this
 * kernel's 1 GHz psched clock, 1600 bytes) is smaller than one GSO packet, and a 400 Mbit/s
 * class then measured 369; with this bucket it measured 381.
 */
export function burstBytes(bits: number): number {
  return Math.max(65_536, Math.ceil(bits / 8 / 200));
}

/**
 * `tc -batch` input: the htb qdisc on the uplink, the class grid traffic is held to, the unshaped
 * default class for everything else, and a fair queue in each class where the kernel has one.
 */
export function tcBatch(device: string, bits: number, leaf: LeafQdisc): string {
  return [
    `# Managed by gridops (playbook qos): loaded with tc -batch by ${EGRESS_UNIT}.`,
    tcQdiscLine(device),
    tcClassLine(device, bits),
    tcDefaultClassLine(device),
    ...tcLeafLines(device, leaf),
    '',
  ].join('\n');
}

/** htb has no change operation: this fails where gridops' htb is already there, so the unit deletes it first. */
export function tcQdiscLine(device: string): string {
  return `qdisc replace dev ${device} root handle ${EGRESS_QDISC_HANDLE} htb default ${EGRESS_DEFAULT_MINOR}`;
}

/** `replace` changes a class in place (its queue and the traffic in it stay) or adds it. */
export function tcClassLine(device: string, bits: number): string {
  return htbClassLine(device, EGRESS_CLASS_ID, bits);
}

export function tcDefaultClassLine(device: string): string {
  return htbClassLine(device, EGRESS_DEFAULT_CLASS_ID, UNSHAPED_BITS);
}

function htbClassLine(device: string, classId: string, bits: number): string {
  const burst = burstBytes(bits);
  return `class replace dev ${device} parent ${EGRESS_QDISC_HANDLE} classid ${classId} htb rate ${bits}bit ceil ${bits}bit burst ${burst}b cburst ${burst}b quantum 60000`;
}

/** The leaf qdiscs; none where the kernel has no fq_codel (each class keeps htb's pfifo, and the kernel's default was no fair queue either). */
export function tcLeafLines(device: string, leaf: LeafQdisc): string[] {
  if (leaf === null) return [];
  return Object.entries(EGRESS_LEAF_HANDLES).map(([classId, handle]) => `qdisc replace dev ${device} parent ${classId} handle ${handle} ${leaf}`);
}

/** The nft rule's match, as written in the rules file. */
function matchOf(classifier: EgressClassifier): string {
  return classifier.by === 'cgroup' ? `socket cgroupv2 level 1 "${classifier.path}"` : `meta skuid "${classifier.user}"`;
}

/**
 * The rules file. Loading it replaces gridops' table atomically (`nft -f` is one transaction):
 * declaring the table first makes the delete succeed when it does not exist yet.
 */
export function nftRules(classifier: EgressClassifier): string {
  return [
    '# Managed by gridops (playbook qos): grid traffic goes to the htb class that holds it to qos.egressMbit.',
    `table inet ${EGRESS_NFT_TABLE}`,
    `delete table inet ${EGRESS_NFT_TABLE}`,
    `table inet ${EGRESS_NFT_TABLE} {`,
    '  chain output {',
    '    type filter hook output priority 0; policy accept;',
    `    ${matchOf(classifier)} meta priority set ${EGRESS_CLASS_ID}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * systemd's device unit for a network interface, named as `systemd-escape --path --suffix=device
 * /sys/subsystem/net/devices/NAME` names it: of the characters an interface name may have here
 * ([A-Za-z0-9_.@-], ASCII only), `-` and `@` are escaped as \x2d and \x40 (a `.` is escaped only at
 * the start of the whole name, which here is `sys`).
 */
export function deviceUnitName(device: string): string {
  const escaped = device.replace(/[^A-Za-z0-9_.]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `sys-subsystem-net-devices-${escaped}.device`;
}

/**
 * The oneshot unit that loads the limit at boot, after grid.slice exists (nft resolves the
 * cgroup path to the cgroup's id when the rules load, so a new grid.slice cgroup needs them loaded
 * again: Requires= restarts this unit with the slice). `systemctl restart` reloads it; stop
 * removes it from the kernel. It follows the nftables service, whose ruleset flushes gridops' table.
 *
 * `boundToDevice`: where systemd has a device unit for the uplink (udev runs; not in a typical
 * container, where a dependency on a device unit would fail the start), the unit starts when the
 * uplink appears (one made after network.target: WireGuard, a VLAN or bond brought up later) and
 * stops when it goes, so a device made again gets the limit again.
 */
export function egressUnit(device: string, classifier: EgressClassifier, { boundToDevice }: { boundToDevice: boolean }): string {
  const whose = classifier.by === 'cgroup' ? `processes in ${GRID_SLICE}` : `user ${classifier.user}`;
  const deviceUnit = boundToDevice ? deviceUnitName(device) : null;
  return [
    '# Managed by gridops (playbook qos): the outgoing traffic of grid work, held to qos.egressMbit.',
    '[Unit]',
    `Description=Egress limit of grid work (${whose}) on ${device} (managed by gridops)`,
    `Requires=${GRID_SLICE}`,
    ...(deviceUnit ? [`BindsTo=${deviceUnit}`] : []),
    `After=${GRID_SLICE} network.target nftables.service${deviceUnit ? ` ${deviceUnit}` : ''}`,
    // The nftables service's ruleset begins with `flush ruleset` and its stop flushes it: its reload
    // reloads the rules (ExecReload), and its start, stop and restart run gridops' drop-in
    // (egressNftablesDropin). Not PartOf=: a firewall turned off would turn the limit off with it.
    'ReloadPropagatedFrom=nftables.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    // A start that failed after tc (nft refused the rules) leaves the unit failed, its ExecStop not run
    // and the htb in place, which `qdisc replace` cannot replace (htb has no change operation): every
    // later start would fail at tc. `-`: where there is none, the delete fails and the start goes on.
    `ExecStartPre=-tc qdisc del dev ${device} root handle ${EGRESS_QDISC_HANDLE}`,
    `ExecStart=tc -batch ${EGRESS_TC_FILE}`,
    `ExecStart=nft -f ${EGRESS_NFT_FILE}`,
    // The rules alone: a flush of the ruleset leaves the qdisc, and `tc -batch` would replace it (its queue with it).
    `ExecReload=nft -f ${EGRESS_NFT_FILE}`,
    `ExecStop=-nft delete table inet ${EGRESS_NFT_TABLE}`,
    `ExecStop=-tc qdisc del dev ${device} root handle ${EGRESS_QDISC_HANDLE}`,
    '',
    '[Install]',
    // Also wanted by grid.slice: a slice stopped and started again (which takes this unit down with it,
    // Requires=) brings the limit back, with the new cgroup. Bound to the uplink, it is wanted by the
    // device unit alone, which starts it when the device appears: wanted by multi-user.target too,
    // a boot whose uplink never came (a NIC swapped, a VPN link that failed) would wait for it, the
    // device job's 90 s, before reaching the target (it is ordered after it).
    `WantedBy=${deviceUnit ? `${GRID_SLICE} ${deviceUnit}` : `multi-user.target ${GRID_SLICE}`}`,
    '',
  ].join('\n');
}

/**
 * The drop-in for nftables.service. Its start (`systemctl enable --now nftables`) loads a ruleset
 * that begins with `flush ruleset`, and its stop flushes the ruleset; both leave the limit's unit,
 * an active oneshot, as it is: this loads the rules again after each. Only where that unit is active: at boot nftables starts before
 * grid.slice's cgroup exists (nft would fail to resolve it), and the unit loads the rules itself
 * once the slice is there; a unit stopped by hand stays without them. `-`: it never fails nftables.
 */
export function egressNftablesDropin(): string {
  return [
    '# Managed by gridops (playbook qos): the egress limit\'s rules again after the nftables service\'s start flushed them.',
    '[Service]',
    `ExecStartPost=-/bin/sh -c 'systemctl is-active --quiet ${EGRESS_UNIT} && exec nft -f ${EGRESS_NFT_FILE}'`,
    `ExecStopPost=-/bin/sh -c 'systemctl is-active --quiet ${EGRESS_UNIT} && exec nft -f ${EGRESS_NFT_FILE}'`,
    '',
  ].join('\n');
}
