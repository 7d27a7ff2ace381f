import type { SettingGroup } from './schema.js';

/**
 * The resolved grid: every default applied, every node carrying its effective settings.
 * This is what the rest of gridops consumes; the raw types in schema.ts never leave topology/.
 */

export interface SshConfig {
  user: string;
  port: number;
  identityFile?: string;
  knownHosts: string;
  jumpHost?: string;
  become: boolean;
  connectTimeoutMs: number;
}

export interface KernelConfig {
  modules: string[];
  params: Record<string, Record<string, string | number | boolean>>;
  sysctl: Record<string, string | number>;
}

export interface HypervisorConfig {
  enabled: boolean;
  /** `image`: an absolute local path (resolved against the topology file), or undefined when none is named. */
  sandbox: { vcpus: number; memoryMiB: number; cpuShares: number; network: string; image?: string };
  hostReserveMiB: number;
}

export interface QosConfig {
  gridCpuPercent: number;
  gridMemoryMiB?: number;
  egressMbit?: number;
}

export interface AgentConfig {
  version: string;
  port: number;
  httpPort: number;
  /** Where the agent's HTTP server (/status, /metrics) listens. */
  httpAddress: string;
  /** The grid key's local file: absolute (resolved against the topology file), or undefined for the one kept beside the state. */
  keyFile?: string;
}

export interface EffectiveSettings {
  ssh: SshConfig;
  kernel: KernelConfig;
  hypervisor: HypervisorConfig;
  qos: QosConfig;
  agent: AgentConfig;
}

/** Where a value was written: `defaults`, `regions[0]`, `regions[0].subgrids[1]`, a node path, or `built-in`. */
export type Origin = string;

export type SuperPeerPreference = 'prefer' | 'auto' | 'never';

export interface Position {
  file: string;
  line: number;
  column: number;
}

export interface Node {
  name: string;
  address: string;
  labels: Record<string, string>;
  superPeer: SuperPeerPreference;
  region: string;
  subgrid: string;
  settings: EffectiveSettings;
  /** For each setting (e.g. `qos.gridCpuPercent`), the level whose value won. */
  origins: Record<string, Origin>;
  position: Position;
}

export interface Subgrid {
  name: string;
  region: string;
  multicast: { group: string; port: number };
  seeds: string[];
  nodes: Node[];
  position: Position;
}

export interface Region {
  name: string;
  regionPeerName: string;
  subgrids: Subgrid[];
  position: Position;
}

export interface Rollout {
  maxUnavailable: { count: number } | { percent: number };
  healthTimeoutMs: number;
}

export interface Grid {
  name: string;
  /** metadata.labels: the grid's own free-form attributes, which templates read as `grid.labels`. */
  labels: Record<string, string>;
  file: string;
  /** sha256 of the file's bytes; recorded in state and plans to detect drift. */
  sourceHash: string;
  regions: Region[];
  rollout: Rollout;
  /**
   * The topology's own playbooks, run after the grid's workflow, as written, with where: what a
   * reference names depends on the files beside the topology (playbook-reference.ts), which a
   * validated grid kept in the cache cannot know, so each run resolves them (gridPlaybooks).
   */
  playbooks: Array<{ ref: string; position: Position }>;
}

export type { SettingGroup };

/** Every node of the grid, in file order. */
export function allNodes(grid: Grid): Node[] {
  return grid.regions.flatMap((r) => r.subgrids.flatMap((s) => s.nodes));
}

export function allSubgrids(grid: Grid): Subgrid[] {
  return grid.regions.flatMap((r) => r.subgrids);
}
