import { GRIDOPS_VERSION } from '../version.js';
import type { EffectiveSettings } from './model.js';

/** The values a node gets when no level of the topology sets them. */
export const BUILTIN_DEFAULTS: EffectiveSettings = {
  ssh: { user: 'root', port: 22, identityFile: undefined, knownHosts: '~/.ssh/known_hosts', jumpHost: undefined, become: false, connectTimeoutMs: 10_000 },
  kernel: { modules: [], params: {}, sysctl: {} },
  hypervisor: { enabled: false, sandbox: { vcpus: 1, memoryMiB: 512, cpuShares: 512, network: 'grid-net' }, hostReserveMiB: 512 },
  qos: { gridCpuPercent: 50 },
  agent: { version: GRIDOPS_VERSION, port: 7946, httpPort: 7950, httpAddress: '127.0.0.1' },
};

export const DEFAULT_MULTICAST_PORT = 7947;
export const DEFAULT_ROLLOUT = { maxUnavailable: { count: 1 }, healthTimeoutMs: 60_000 } as const;
