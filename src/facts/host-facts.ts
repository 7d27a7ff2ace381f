import type { SuperPeerPreference } from '../topology/model.js';
/** What gridops learns about a host before planning. Runtime facts, kept apart from configuration. */
export interface HostFacts {
  os: {
    /** `ID` from /etc/os-release, e.g. `debian`, `ubuntu`, `rocky`; `unknown` if missing. */
    id: string;
    /** `VERSION_ID`, e.g. `12`; null on rolling releases. */
    versionId: string | null;
    prettyName: string | null;
    /** `ID_LIKE`, split on spaces. */
    idLike: string[];
  };
  /** `systemd` when /run/systemd/system exists, else PID 1's comm (e.g. `sh`, `tini`, `init`). */
  initSystem: string;
  /** `uname -m`, e.g. `x86_64`, `aarch64`. */
  arch: string;
  cpu: {
    cores: number;
    /** Hardware virtualisation flags present in /proc/cpuinfo. */
    virtFlags: Array<'vmx' | 'svm'>;
  };
  /** KVM: /dev/kvm exists (`device`), this user can open it read-write (`usable`), and nested virtualisation is on in kvm_intel/kvm_amd. */
  kvm: { device: boolean; usable: boolean; nested: boolean };
  /** The probing shell (root, or through become) holds CAP_SYS_RESOURCE: it may raise limits such as RLIMIT_MEMLOCK, which libvirt does for a domain with a memory hard limit. */
  capSysResource: boolean;
  /** MemTotal, in bytes. */
  memoryBytes: number;
  kernel: {
    release: string;
    /** /proc/modules exists and kernel.modules_disabled is 0: modprobe can work. */
    loadableModules: boolean;
    /**
     * Modules built into the kernel. From modules.builtin when present; plus the names under
     * /sys/module that have no `initstate` file (a loaded module always has one). The second
     * source only lists built-ins that have parameters or a version, and also lists a few core
     * names that are not modules (e.g. `kernel`, `printk`): treat it as "present", not as a
     * complete list. Normalised with `-` -> `_`, sorted.
     */
    builtinModules: string[];
    /** True when modules.builtin was read, so a name absent from builtinModules is really absent. */
    builtinModulesComplete: boolean;
    /** Names from /proc/modules (empty without module support). */
    loadedModules: string[];
  };
  /** `v2` unified, `hybrid` (v1 controllers plus a cgroup2 mount), `v1`, or `none`. */
  cgroup: 'v1' | 'v2' | 'hybrid' | 'none';
  /**
   * The memory controller accounts swap, so a swap limit can be set: v1's `memory.memsw.*` files
   * (a kernel booted with swap accounting), v2's `memory.swap.max` below the root. Without it libvirt
   * cannot start a VM with a swap_hard_limit, and systemd ignores MemorySwapMax=.
   */
  swapAccounting: boolean;
  /**
   * The cgroup controllers systemd can limit with here (`cpu`, `memory`, ...; gather.ts says how
   * each layout is read). Without `memory` systemd accepts MemoryMax= and ignores it, without `cpu`
   * CPUQuota=. Absent in facts read by an older gridops, which did not read them.
   */
  cgroupControllers?: string[];
  /** Swap space (SwapTotal of /proc/meminfo); absent in facts read by an older gridops, which did not read it. */
  swapBytes?: number;
  uptimeSeconds: number;
  packageManager: 'apt' | 'dnf' | 'yum' | null;
  /** Installed gridops agent version, or null when no agent is installed. */
  agentVersion: string | null;
  /**
   * The `bootstrapScore` line of the agent's config.yaml as gridops last wrote it, or null (no
   * config, or no number there). The score ranks only a sub-grid's first election, so once written
   * it is kept (overlay/initial-election.ts): a node whose memory moves a little (a crashkernel
   * reservation, a VM resized) is not rewritten, nor its agent restarted, for a score nobody reads again.
   */
  writtenBootstrapScore: number | null;
  /**
   * The `superPeer` line of the same config (`prefer`, `auto`, `never`), or null. The written score
   * holds that preference's factor, so it is kept only while the topology still says the same.
   */
  writtenSuperPeer: SuperPeerPreference | null;
  network: {
    /** The device of the first default route (IPv4, else IPv6), or null (lab nodes have none). */
    defaultRouteDevice: string | null;
    /**
     * Addresses with their device, read only where there is no default route: the IPv6 ones
     * (IPv4 addresses have no cheap source; connectedRoutes stands for them).
     */
    addresses: Array<{ device: string; address: string }>;
    /** The IPv4 routes with no gateway (the networks each device reaches directly), likewise only without a default route. */
    connectedRoutes: Array<{ device: string; network: string; prefixLength: number }>;
  };
}

/** Every fact but the agent's version, which a read of the agent alone (AGENT_FACTS_BODY) leaves out. */
const NOT_IN_AGENT_READ = ['os', 'initSystem', 'arch', 'cpu', 'kvm', 'capSysResource', 'memoryBytes', 'kernel', 'cgroup', 'swapAccounting', 'cgroupControllers', 'swapBytes', 'uptimeSeconds', 'packageManager', 'network', 'writtenBootstrapScore', 'writtenSuperPeer'] as const satisfies ReadonlyArray<keyof HostFacts>;
// Compile-time check that the list is complete: a new fact must be added above.
const listed: Record<Exclude<keyof HostFacts, 'agentVersion'>, true> = Object.fromEntries(NOT_IN_AGENT_READ.map((k) => [k, true])) as Record<(typeof NOT_IN_AGENT_READ)[number], true>;
void listed;

/**
 * The facts of a read that asked for the agent's version alone (the planner does when no resource
 * or template of the host uses another fact). Any other fact throws when read, so a resource that
 * uses facts without saying so fails loudly instead of planning from a made-up value.
 */
export function agentOnlyFacts(agentVersion: string | null): HostFacts {
  const facts = { agentVersion } as HostFacts;
  for (const name of NOT_IN_AGENT_READ) {
    Object.defineProperty(facts, name, {
      enumerable: false,
      get() {
        throw new Error(`internal error: the ${name} fact was read, but only the agent's version was gathered for this host (a resource that reads facts must not set ignoresFacts)`);
      },
    });
  }
  return facts;
}

/** Whether `facts` hold every fact (not only the agent's version). */
export function hasAllFacts(facts: HostFacts): boolean {
  return Object.prototype.propertyIsEnumerable.call(facts, 'os');
}
