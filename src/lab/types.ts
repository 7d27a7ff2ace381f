/** The three ways a lab node can be built. */
export type LabKind = 'container' | 'netns' | 'vm';
export const LAB_KINDS: readonly LabKind[] = ['container', 'netns', 'vm'];

/** What the user asked for (flags), before defaults. */
export interface LabRequest {
  kind: LabKind;
  nodes: number;
  subgrids: number;
  regions: number;
  /** Absolute lab directory. */
  dir: string;
}

/** The shape of a lab: compared on `up` to decide whether an existing lab is the same one. */
export interface LabShape {
  kind: LabKind;
  nodes: number;
  subgrids: number;
  regions: number;
}

/** One planned node: every name the lab will create for it, derived from the slot and index. */
export interface NodePlan {
  index: number;
  name: string;
  address: string;
  region: string;
  subgrid: string;
  /** Network namespace (container, netns). */
  netns: string;
  /** Root-side link: the veth (container, netns) or the tap (vm). */
  link: string;
  /** v1 cgroup directory name (container). */
  cgroup: string;
  mac: string;
}

export interface SubgridPlan {
  name: string;
  region: string;
  multicast: string;
  nodes: string[];
}

export interface RegionPlan {
  name: string;
  regionPeerName: string;
  subgrids: string[];
}

/** Everything the lab will create, computed before touching the machine (pure). */
export interface LabPlan {
  shape: LabShape;
  slot: number;
  /** Prefix of every link, namespace and cgroup name the lab makes, e.g. `glab-0-`. */
  prefix: string;
  subnet: string;
  prefixLength: number;
  bridge: { name: string; address: string };
  regions: RegionPlan[];
  subgrids: SubgridPlan[];
  nodes: NodePlan[];
}

/** Runtime record of one node, kept in lab.json. */
export interface NodeState extends NodePlan {
  /** The node's main process (nspawn, sshd or qemu). */
  pid?: number;
  /** Per-node writable directory (overlay upper dir, or the VM's disk overlay). */
  dir: string;
  /** cgroup directories (absolute) made for this node in each v1 hierarchy. */
  cgroupDirs?: string[];
  hostKey?: string;
  /** False from the node's start until its sshd answered, true after (nodesToBoot). */
  ready?: boolean;
  machineId?: string;
  log?: string;
}

/** lab.json: the lab's own record, the only thing `down` and `status` trust besides the prefix. */
export interface LabState {
  version: 1;
  phase: 'building' | 'ready';
  dir: string;
  createdAt: string;
  plan: LabPlan;
  /** Per-node runtime directory root (container: in the lab dir; netns: under /run). */
  runDir: string;
  files: { topology: string; knownHosts: string; identity: string; publicKey: string; state: string };
  proxy?: { pid?: number; address: string; port: number; cacheDir: string };
  /** The lab's name server (region peer names). */
  dns?: { pid?: number; address: string; hostsFile: string };
  nodes: NodeState[];
  image?: string;
  timings?: Record<string, number>;
  /** sha256 of the topology.yaml text the lab last wrote: one that differs was edited since, and is not overwritten (topology-edits.ts). */
  topologySha256?: string;
}
