import type { LabKind, LabPlan, LabShape, NodePlan, RegionPlan, SubgridPlan } from './types.js';

/** Every lab lives in 10.231.0.0/16, cut into /20 slots so several labs (one per e2e suite) can run side by side. */
export const LAB_NET = '10.231';
export const SLOT_COUNT = 16;
export const SLOT_PREFIX_LENGTH = 20;
export const MAX_NODES: Record<LabKind, number> = { container: 64, netns: 1000, vm: 8 };
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

/** Validates a lab shape; returns one message per problem (empty when fine). */
export function shapeProblems(shape: LabShape): string[] {
  const p: string[] = [];
  const int = (n: number) => Number.isInteger(n) && n >= 1;
  if (!int(shape.nodes)) p.push(`--nodes must be a whole number of 1 or more (got ${shape.nodes})`);
  if (!int(shape.subgrids)) p.push(`--subgrids must be a whole number of 1 or more (got ${shape.subgrids})`);
  if (!int(shape.regions)) p.push(`--regions must be a whole number of 1 or more (got ${shape.regions})`);
  if (p.length) return p;
  if (shape.nodes > MAX_NODES[shape.kind]) p.push(`--kind ${shape.kind} supports at most ${MAX_NODES[shape.kind]} nodes (got ${shape.nodes})`);
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
  const width = Math.max(2, String(shape.nodes).length);
  const nodeName = (i: number) => `node-${String(i).padStart(width, '0')}`;

  const regions: RegionPlan[] = [];
  const subgrids: SubgridPlan[] = [];
  const nodes: NodePlan[] = [];
  const subgridsPerRegion = spread(shape.subgrids, shape.regions);
  const nodesPerSubgrid = spread(shape.nodes, shape.subgrids);
  let s = 0;
  let n = 0;
  subgridsPerRegion.forEach((count, r) => {
    const region: RegionPlan = { name: `region-${r + 1}`, regionPeerName: `region-${r + 1}.lab.grid.internal`, subgrids: [] };
    for (let k = 0; k < count; k++) {
      s++;
      const sg: SubgridPlan = { name: `subgrid-${s}`, region: region.name, multicast: `239.192.${slot}.${s}:7947`, nodes: [] };
      for (let m = 0; m < nodesPerSubgrid[s - 1]!; m++) {
        n++;
        const tag = String(n).padStart(4, '0');
        nodes.push({
          index: n,
          name: nodeName(n),
          address: slotAddress(slot, hostNumber(n)),
          region: region.name,
          subgrid: sg.name,
          netns: `${prefix}${nodeName(n)}`,
          link: `${prefix}v${tag}`,
          cgroup: `${prefix}${nodeName(n)}`,
          mac: `52:54:00:e7:${hex(slot * 16 + (n >> 8))}:${hex(n & 255)}`,
        });
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
    subnet: `${slotAddress(slot, 0)}/${SLOT_PREFIX_LENGTH}`,
    prefixLength: SLOT_PREFIX_LENGTH,
    bridge: { name: `${prefix}br`, address: slotAddress(slot, 1) },
    regions,
    subgrids,
    nodes,
  };
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Two shapes are the same lab. */
export function sameShape(a: LabShape, b: LabShape): boolean {
  return a.kind === b.kind && a.nodes === b.nodes && a.subgrids === b.subgrids && a.regions === b.regions;
}
