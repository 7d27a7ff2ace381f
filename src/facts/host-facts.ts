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
     * complete list. Normalised with `-` → `_`, sorted.
     */
    builtinModules: string[];
    /** True when modules.builtin was read, so a name absent from builtinModules is really absent. */
    builtinModulesComplete: boolean;
    /** Names from /proc/modules (empty without module support). */
    loadedModules: string[];
  };
  /** `v2` unified, `hybrid` (v1 controllers plus a cgroup2 mount), `v1`, or `none`. */
  cgroup: 'v1' | 'v2' | 'hybrid' | 'none';
  uptimeSeconds: number;
  packageManager: 'apt' | 'dnf' | 'yum' | null;
  /** Installed gridops agent version, or null when no agent is installed. */
  agentVersion: string | null;
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
