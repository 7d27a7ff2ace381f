/**
 * A planned change on one host: plain data, saved in plan.json and shown as a diff (but for what
 * apply alone needs and no output may show, held as Unshown).
 * Never holds a secret: sensitive content is represented only by a keyed digest (`hmac-sha256:...`, secrets/plan-digest.ts), never by a plain hash that would let guesses be checked.
 */
import type { Unshown } from './unshown.js';

export type ChangeAction = 'create' | 'update' | 'delete' | 'run' | 'none';

/** One attribute that differs, shown as `name: before -> after`. */
export interface FieldChange {
  name: string;
  before: string | null;
  after: string | null;
}

interface BaseChange {
  /** Unique per host, e.g. `file /etc/gridops/node.json`; also the key that binds a change to its resource. */
  id: string;
  action: ChangeAction;
  /** One human line, e.g. `load module dummy and persist it`. */
  summary: string;
  fields: FieldChange[];
  /** Unified diff of file content; absent for sensitive or binary content. */
  diff?: string;
  /** Handlers to run once on this host after its changes. */
  notify?: string[];
  /**
   * Why this change restarts the sandbox VM (remote users' work runs inside it). Apply performs
   * it only with `--replace-sandbox`; without the flag it refuses it and leaves it untouched.
   */
  needsRestart?: string;
}

export interface FileChange extends BaseChange {
  kind: 'file';
  path: string;
  /** sha256 of the content to be written (for sensitive content, its `hmac-sha256:` digest); lets a saved plan prove it still matches. */
  contentSha256: string;
  sensitive: boolean;
  /** The secret gridops places in this file (the grid key), where it is one. */
  secret?: 'grid-key';
  /** The mode the file is written or left with: the entry's, else the file's own, else a new file's default. */
  mode: string;
  /** New content keeps the owner or group the entry leaves unset from the regular file it replaces. */
  keepsOwner?: boolean;
}
export interface DirectoryChange extends BaseChange {
  kind: 'directory';
  path: string;
}
export interface LineChange extends BaseChange {
  kind: 'line';
  path: string;
  contentSha256: string;
  /**
   * The whole file after the edit (it depends on what the host has, so the change carries it: diff
   * stays pure). Never shown: the rest of the file may hold secrets, so a plan's outputs show only
   * the lines that change (`diff`) and the hash; absent from a plan read back from JSON.
   */
  content?: Unshown<string>;
  mode: string;
}
export interface PackageChange extends BaseChange {
  kind: 'package';
  manager: string;
  packages: string[];
}
export interface KernelModuleChange extends BaseChange {
  kind: 'kernel-module';
  module: string;
  steps: Array<'load' | 'persist' | 'options'>;
}
export interface SysctlChange extends BaseChange {
  kind: 'sysctl';
  key: string;
  value: string;
  /** `remove-legacy`: the file an older gridops wrote under 90-gridops-KEY.conf, which 99-sysctl.conf overrode. */
  steps: Array<'set' | 'persist' | 'remove-legacy'>;
}
export interface SystemdUnitChange extends BaseChange {
  kind: 'systemd-unit';
  unit: string;
  contentSha256: string;
  steps: Array<'write' | 'chmod' | 'daemon-reload' | 'enable' | 'disable' | 'start' | 'restart' | 'stop'>;
}
export interface CommandChange extends BaseChange {
  kind: 'command';
  /** The command as it will run, already quoted. */
  command: string;
}

/** The steps of an egress limit, in the order apply performs them. */
export type EgressLimitStep = 'install-tools' | 'create-user' | 'write-files' | 'write-unit' | 'enable' | 'clear' | 'load' | 'rate' | 'rules' | 'remove';

/** The egress limit of grid work on a node's uplink: htb class, nft rule, and the unit that loads them at boot. */
export interface EgressLimitChange extends BaseChange {
  kind: 'egress-limit';
  /** The uplink that carries the limit; null when it is removed. */
  device: string | null;
  /** The limit in bit/s; null when it is removed. */
  rateBits: number | null;
  /** How grid traffic is told apart: the sender's cgroup (grid.slice) or, as a fallback, its user; null when removed. */
  classifier: 'cgroup' | 'user' | null;
  /** Devices whose gridops qdisc goes away (a former uplink; on removal, every one). */
  clearDevices: string[];
  /** The qdisc in each htb class: fq_codel where the kernel has it, else htb's own pfifo (null); null when removed. */
  leafQdisc: 'fq_codel' | null;
  /** The unit follows the uplink's device unit (where systemd has device units: not in a container). */
  boundToDevice: boolean;
  /** Packages installed first (the node lacks tc or nft). */
  packages: string[];
  steps: EgressLimitStep[];
}

/** What the sandbox VM sends, held on the host: ingress of its tap redirected to an ifb with htb, and the libvirt hook that loads it at each start. */
export interface SandboxEgressChange extends BaseChange {
  kind: 'sandbox-egress';
  tap: string;
  /** The limit in bit/s; null when it is removed. */
  rateBits: number | null;
  /** Packages installed first (the host lacks tc or ip). */
  packages: string[];
  steps: Array<'install-tools' | 'write-files' | 'write-hook' | 'restart-libvirtd' | 'load' | 'rate' | 'remove'>;
}
export interface LibvirtNetworkChange extends BaseChange {
  kind: 'libvirt-network';
  network: string;
  steps: Array<'define' | 'start' | 'autostart' | 'restart'>;
  xmlSha256: string;
  /** Packages installed first: the node lacks ip, which puts the running sandbox's tap on the (re)started bridge. */
  packages?: string[];
}
export interface LibvirtPoolChange extends BaseChange {
  kind: 'libvirt-pool';
  pool: string;
  steps: Array<'define' | 'start' | 'autostart'>;
  xmlSha256: string;
}
/** The base image: uploaded (SFTP) as a volume named by its sha256. */
export interface SandboxImageChange extends BaseChange {
  kind: 'sandbox-image';
  sha256: string;
  volume: string;
  sizeBytes: number;
}
/** The node's qcow2 overlay disk on the base image. */
export interface SandboxDiskChange extends BaseChange {
  kind: 'sandbox-disk';
  volume: string;
  base: string;
}
/** A value of the running sandbox that changes without a restart (`--live --config`). */
export interface LiveSetting {
  setting: 'cpuShares' | 'currentMemoryKiB' | 'hardLimitKiB' | 'swapHardLimitKiB';
  value: number;
  /** Also written into the persistent definition (false where libvirt cannot start with it there). */
  config: boolean;
}
export interface SandboxDomainChange extends BaseChange {
  kind: 'sandbox-domain';
  domain: string;
  /** `define` a new domain; `redefine`+`restart` replace the definition of a running one. */
  /** `reattach`: its NIC's tap back on the grid network's bridge, which a restart of the network took it off. */
  steps: Array<'define' | 'redefine' | 'replace' | 'restart' | 'start' | 'resume' | 'autostart' | 'live' | 'prune' | 'reattach'>;
  /** Packages installed before `reattach`: the node lacks ip. */
  packages?: string[];
  /** gridops' volumes in the pool nothing uses (an image replaced, then given back), removed by `prune`. */
  unusedVolumes?: string[];
  live: LiveSetting[];
  xmlSha256: string;
  /** The overlay and base image the replaced definition used, removed once the VM runs on the new ones. */
  previous?: { disk?: string; imageVolume?: string };
}

/** Paths gridops made, found on the host and to be removed (reset, decommission). */
export interface AbsentPathsChange extends BaseChange {
  kind: 'absent-paths';
  /** The paths found at plan time, literal. */
  paths: string[];
  /** For a sweep of what the topology dropped: why these paths go, and what their removal leaves as it is (the running kernel's value). */
  why?: string[];
}
/** A unit gridops installed, to be stopped, disabled and removed. */
export interface AbsentUnitChange extends BaseChange {
  kind: 'absent-unit';
  unit: string;
  steps: Array<'stop' | 'disable' | 'remove'>;
}

/** A libvirt object gridops made (the sandbox VM, the grid network, the storage pool), to be destroyed and undefined. */
export interface AbsentLibvirtChange extends BaseChange {
  kind: 'absent-libvirt';
  object: 'domain' | 'network' | 'pool';
  name: string;
}

export type Change = AbsentPathsChange | AbsentUnitChange | AbsentLibvirtChange | FileChange | DirectoryChange | LineChange | PackageChange | KernelModuleChange | SysctlChange | SystemdUnitChange | CommandChange | EgressLimitChange | SandboxEgressChange | LibvirtNetworkChange | LibvirtPoolChange | SandboxImageChange | SandboxDiskChange | SandboxDomainChange;
export type ChangeKind = Change['kind'];

/** A change that changes nothing: a note the plan shows (e.g. a module built into the kernel). */
export function isNote(change: Change): boolean {
  return change.action === 'none';
}
