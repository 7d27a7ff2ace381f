import type { LabKind, LabPlan, LabShape, NodePlan, RegionPlan, SubgridPlan } from './types.js';

/** Every lab lives in 10.231.0.0/16, cut into /20 slots so several labs (one per e2e suite) can run side by side. */
export const LAB_NET = '10.231';
export const SLOT_COUNT = 16;
export const SLOT_PREFIX_LENGTH = 20;
export const MAX_NODES: Record<LabKind, number> = { container: 64, netns: 1000, vm: 8 };
/** Sub-grid S's multicast group is 239.192.SLOT.S (subgridPlan): one octet, so 255 at most. */
export const MAX_SUBGRIDS = 255;
export const DEFAULT_NODES: Record<LabKind, number> = { container: 4, netns: 4, vm: 1 };
/** The first node is .11, as in the examples. */
const FIRST_HOST = 11;

/** The distinctive prefix of everything a lab in `slot` creates (links, namespaces, cgroups). */
export function labPrefix(slot: number): string {
  return `glab-${slot}-`;
}

/** Splits `total` items into `buckets` sizes that differ by at most one, larger ones first. */
export function spread(total: number, buckets: number): number[] {
  const base = Math.floor(total / buckets);
  const extra = total % buckets;
  return Array.from({ length: buckets }, (_, i) => base + (i < extra ? 1 : 0));
}

/** The host number inside the slot's /20 for node `index` (1-based), skipping .0 and .255 octets. */
export function hostNumber(index: number): number {
  let h = FIRST_HOST - 1;
  for (let i = 0; i < index; ) {
    h++;
    const last = h % 256;
    if (last !== 0 && last !== 255) i++;
  }
  return h;
}

function slotAddress(slot: number, host: number): string {
  const third = slot * 16 + Math.floor(host / 256);
  return `${LAB_NET}.${third}.${host % 256}`;
}

/** The /20 a lab in `slot` lives in (10.231.16*S.0/20). */
export function slotSubnet(slot: number): string {
  return `${slotAddress(slot, 0)}/${SLOT_PREFIX_LENGTH}`;
}

/** Validates a lab shape; returns one message per problem (empty when fine). */
export function shapeProblems(shape: LabShape): string[] {
  const p: string[] = [];
  const int = (n: number) => Number.isInteger(n) && n >= 1;
  if (!int(shape.nodes)) p.push(`--nodes must be a whole number of 1 or more (got ${shape.nodes})`);
  if (!int(shape.subgrids)) p.push(`--subgrids must be a whole number of 1 or more (got ${shape.subgrids})`);
  if (!int(shape.regions)) p.push(`--regions must be a whole number of 1 or more (got ${shape.regions})`);
  if (p.length) return p;
  if (shape.nodes > MAX_NODES[shape.kind]) p.push(`--kind ${shape.kind} supports at most ${MAX_NODES[shape.kind]} nodes (got ${shape.nodes})`);
  if (shape.subgrids > MAX_SUBGRIDS) p.push(`--subgrids supports at most ${MAX_SUBGRIDS} sub-grids (got ${shape.subgrids}): each gets its own multicast group 239.192.SLOT.N`);
  if (shape.subgrids < shape.regions) p.push(`each region needs a sub-grid: --subgrids (${shape.subgrids}) must be at least --regions (${shape.regions})`);
  if (shape.nodes < shape.subgrids) p.push(`each sub-grid needs a node: --nodes (${shape.nodes}) must be at least --subgrids (${shape.subgrids})`);
  return p;
}

/**
 * The whole lab as data: names, addresses, regions and sub-grids. Pure, so it is unit-tested
 * without root, and `down` can recompute every name from the slot alone.
 */
export function planLab(shape: LabShape, slot: number): LabPlan {
  const problems = shapeProblems(shape);
  if (problems.length) throw new RangeError(problems.join('; '));
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`slot ${slot} is outside 0..${SLOT_COUNT - 1}`);
  const prefix = labPrefix(slot);
  const nodeName = nodeNamer(shape.nodes);

  const regions: RegionPlan[] = [];
  const subgrids: SubgridPlan[] = [];
  const nodes: NodePlan[] = [];
  const subgridsPerRegion = spread(shape.subgrids, shape.regions);
  const nodesPerSubgrid = spread(shape.nodes, shape.subgrids);
  let s = 0;
  let n = 0;
  subgridsPerRegion.forEach((count, r) => {
    const region = regionPlan(r + 1);
    for (let k = 0; k < count; k++) {
      s++;
      const sg = subgridPlan(slot, s, region.name);
      for (let m = 0; m < nodesPerSubgrid[s - 1]!; m++) {
        n++;
        nodes.push(nodePlan(slot, n, nodeName(n), region.name, sg.name));
        sg.nodes.push(nodeName(n));
      }
      region.subgrids.push(sg.name);
      subgrids.push(sg);
    }
    regions.push(region);
  });
  return {
    shape: { ...shape },
    slot,
    prefix,
    subnet: slotSubnet(slot),
    prefixLength: SLOT_PREFIX_LENGTH,
    bridge: { name: `${prefix}br`, address: slotAddress(slot, 1) },
    regions,
    subgrids,
    nodes,
  };
}

/** `node-NN`, zero-padded to the width the lab was first planned with (names never change as it grows). */
function nodeNamer(firstNodeCount: number): (i: number) => string {
  const width = Math.max(2, String(firstNodeCount).length);
  return (i) => `node-${String(i).padStart(width, '0')}`;
}

function regionPlan(r: number): RegionPlan {
  return { name: `region-${r}`, regionPeerName: `region-${r}.lab.grid.internal`, subgrids: [] };
}

function subgridPlan(slot: number, s: number, region: string): SubgridPlan {
  return { name: `subgrid-${s}`, region, multicast: `239.192.${slot}.${s}:7947`, nodes: [] };
}

/** Every name and address of node `n` (1-based): a pure function of the slot and the index. */
function nodePlan(slot: number, n: number, name: string, region: string, subgrid: string): NodePlan {
  const prefix = labPrefix(slot);
  return {
    index: n,
    name,
    address: slotAddress(slot, hostNumber(n)),
    region,
    subgrid,
    netns: `${prefix}${name}`,
    link: `${prefix}v${String(n).padStart(4, '0')}`,
    cgroup: `${prefix}${name}`,
    mac: `52:54:00:e7:${hex(slot * 16 + (n >> 8))}:${hex(n & 255)}`,
  };
}

/** Why `plan` cannot grow to `shape` (empty when it can). */
export function growthProblems(plan: LabPlan, shape: LabShape): string[] {
  const now = plan.shape;
  const p = shapeProblems(shape);
  if (p.length) return p;
  if (shape.kind !== now.kind) p.push(`the lab is made of ${now.kind} nodes; it cannot grow ${shape.kind} ones`);
  for (const [what, want, have] of [['--nodes', shape.nodes, now.nodes], ['--subgrids', shape.subgrids, now.subgrids], ['--regions', shape.regions, now.regions]] as const) {
    if (want < have) p.push(`${what} ${want} is fewer than the lab has (${have}): a lab only grows (remove nodes from the topology and apply to decommission them)`);
  }
  if (p.length) return p;
  if (shape.subgrids - now.subgrids < shape.regions - now.regions) p.push(`each new region needs a new sub-grid: --subgrids must be at least ${now.subgrids + shape.regions - now.regions}`);
  if (shape.nodes - now.nodes < shape.subgrids - now.subgrids) p.push(`each new sub-grid needs a new node: --nodes must be at least ${now.nodes + shape.subgrids - now.subgrids}`);
  return p;
}

/**
 * The lab grown to `shape`, every existing name, address and assignment kept. New regions get the
 * new sub-grids (spread evenly), or, with no new region, the new sub-grids go to the existing
 * regions with the fewest sub-grids. New nodes fill the new sub-grids (spread evenly); with no new
 * sub-grid, each goes to the smallest sub-grid (the first of equals). Pure.
 */
export function growLab(plan: LabPlan, shape: LabShape): LabPlan {
  const problems = growthProblems(plan, shape);
  if (problems.length) throw new RangeError(problems.join('; '));
  const slot = plan.slot;
  const regions: RegionPlan[] = plan.regions.map((r) => ({ ...r, subgrids: [...r.subgrids] }));
  const subgrids: SubgridPlan[] = plan.subgrids.map((s) => ({ ...s, nodes: [...s.nodes] }));
  const nodes: NodePlan[] = plan.nodes.map((n) => ({ ...n }));
  const nodeName = nodeNamer(firstWidthCount(plan));
  const newRegions: RegionPlan[] = [];
  for (let r = plan.regions.length + 1; r <= shape.regions; r++) {
    const region = regionPlan(r);
    regions.push(region);
    newRegions.push(region);
  }
  const newSubgrids: SubgridPlan[] = [];
  const addSubgrids = shape.subgrids - plan.subgrids.length;
  const perNewRegion = newRegions.length ? spread(addSubgrids, newRegions.length) : [];
  for (let k = 0; k < addSubgrids; k++) {
    let region: RegionPlan;
    if (newRegions.length) {
      // Fill the new regions in order: region i gets perNewRegion[i] sub-grids.
      let i = 0;
      let seen = perNewRegion[0]!;
      while (k >= seen) seen += perNewRegion[++i]!;
      region = newRegions[i]!;
    } else {
      region = [...regions].sort((a, b) => a.subgrids.length - b.subgrids.length)[0]!;
    }
    const sg = subgridPlan(slot, subgrids.length + 1, region.name);
    region.subgrids.push(sg.name);
    subgrids.push(sg);
    newSubgrids.push(sg);
  }
  const addNodes = shape.nodes - plan.nodes.length;
  const targets: SubgridPlan[] = [];
  if (newSubgrids.length) spread(addNodes, newSubgrids.length).forEach((count, i) => targets.push(...Array<SubgridPlan>(count).fill(newSubgrids[i]!)));
  for (let k = 0; k < addNodes; k++) {
    const sg = targets[k] ?? [...subgrids].sort((a, b) => a.nodes.length - b.nodes.length)[0]!;
    const n = nodes.length + 1;
    const name = nodeName(n);
    nodes.push(nodePlan(slot, n, name, sg.region, sg.name));
    sg.nodes.push(name);
  }
  return { ...plan, shape: { ...shape }, regions, subgrids, nodes };
}

/** The node count the names' width was chosen for (node-01 is 2 wide, so any count below 100). */
function firstWidthCount(plan: LabPlan): number {
  const width = (plan.nodes[0]?.name ?? 'node-01').length - 'node-'.length;
  return 10 ** (width - 1);
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Two shapes are the same lab. */
export function sameShape(a: LabShape, b: LabShape): boolean {
  return a.kind === b.kind && a.nodes === b.nodes && a.subgrids === b.subgrids && a.regions === b.regions;
}
