/**
 * What an egress limit is made of on a node, as text gridops writes and the kernel reads: the
 * names gridops owns, the tc batch file, the nftables rules and the oneshot unit that loads both
 * at boot. Pure: the egress-limit resource diffs the live state against these.
 */

/** The htb qdisc's handle major (hex, as tc and nft print it): unusual, so it is clearly gridops'. */
export const EGRESS_QDISC_HANDLE = '1e9d:';
/** The htb class grid traffic goes to; nft sets skb->priority to it and htb classifies on that (no tc filter). */
export const EGRESS_CLASS_ID = '1e9d:10';
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

/** `tc -batch` input: the htb qdisc on the uplink and the one class grid traffic is held to. */
export function tcBatch(device: string, bits: number): string {
  return `# Managed by gridops (playbook qos): loaded with tc -batch by ${EGRESS_UNIT}.\n${tcQdiscLine(device)}\n${tcClassLine(device, bits)}\n`;
}

export function tcQdiscLine(device: string): string {
  return `qdisc replace dev ${device} root handle ${EGRESS_QDISC_HANDLE} htb`;
}

/** `replace` changes a class in place (its queue and the traffic in it stay) or adds it. */
export function tcClassLine(device: string, bits: number): string {
  const burst = burstBytes(bits);
  return `class replace dev ${device} parent ${EGRESS_QDISC_HANDLE} classid ${EGRESS_CLASS_ID} htb rate ${bits}bit ceil ${bits}bit burst ${burst}b cburst ${burst}b quantum 60000`;
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
 * The oneshot unit that loads the limit at boot, after grid.slice exists (nft resolves the
 * cgroup path to the cgroup's id when the rules load, so a new grid.slice cgroup needs them loaded
 * again: Requires= restarts this unit with the slice). `systemctl restart` reloads it; stop
 * removes it from the kernel. It follows the nftables service, whose ruleset flushes gridops' table.
 */
export function egressUnit(device: string, classifier: EgressClassifier): string {
  const whose = classifier.by === 'cgroup' ? `processes in ${GRID_SLICE}` : `user ${classifier.user}`;
  return [
    '# Managed by gridops (playbook qos): the outgoing traffic of grid work, held to qos.egressMbit.',
    '[Unit]',
    `Description=Egress limit of grid work (${whose}) on ${device} (managed by gridops)`,
    `Requires=${GRID_SLICE}`,
    `After=${GRID_SLICE} network.target nftables.service`,
    // The nftables service's ruleset begins with `flush ruleset` and its stop flushes it: its reload
    // reloads the rules (ExecReload), and its start, stop and restart run gridops' drop-in
    // (egressNftablesDropin). Not PartOf=: a firewall turned off would turn the limit off with it.
    'ReloadPropagatedFrom=nftables.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=tc -batch ${EGRESS_TC_FILE}`,
    `ExecStart=nft -f ${EGRESS_NFT_FILE}`,
    // The rules alone: a flush of the ruleset leaves the qdisc, and `tc -batch` would replace it (its queue with it).
    `ExecReload=nft -f ${EGRESS_NFT_FILE}`,
    `ExecStop=-nft delete table inet ${EGRESS_NFT_TABLE}`,
    `ExecStop=-tc qdisc del dev ${device} root handle ${EGRESS_QDISC_HANDLE}`,
    '',
    '[Install]',
    // Also wanted by grid.slice: a slice stopped and started again (which takes this unit down with it,
    // Requires=) brings the limit back, with the new cgroup.
    `WantedBy=multi-user.target ${GRID_SLICE}`,
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
