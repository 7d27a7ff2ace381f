import type { Problem } from '../errors/problem.js';
import type { RawTopology } from './schema.js';
import { pathToString, type PathSegment } from './source.js';

/** The part of a topology the schema found nothing wrong with, in a shape resolveTopology takes. */
export interface SoundPart {
  raw: RawTopology;
  /** A node or playbook entry with a problem of its own: resolveTopology leaves it out, keeping the others' indices. */
  unsound: (path: readonly PathSegment[]) => boolean;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * The checks that need a node's inherited settings (listener clashes, the agent's version) run on
 * the resolved grid, so a topology with a schema problem could not reach them, and a user fixed
 * one stage per run. This is what can be resolved all the same: every node whose own entry, sub-grid
 * settings, region settings and `defaults` have no problem. A node under a broken level is left out
 * (its inherited values are not known), and only it: a region or sub-grid with a problem of its own
 * stays as an empty shell, so the others keep their indices, and their positions. Undefined when
 * `defaults` has a problem: every node inherits it.
 */
export function soundPart(value: unknown, schemaProblems: readonly Problem[]): SoundPart | undefined {
  const paths = schemaProblems.map((p) => p.path);
  /** A problem at `prefix` or inside it, except inside its child elements `prefix.CHILD[i]`. */
  const brokenAt = (prefix: string, child?: string) =>
    paths.some((p) => (p === prefix || p.startsWith(`${prefix}.`) || p.startsWith(`${prefix}[`)) && !(child && p.startsWith(`${prefix}.${child}[`)));
  if (brokenAt('defaults')) return undefined;

  const top = obj(value);
  const regions = list(top.regions).map((region, ri) => {
    const regionPath = `regions[${ri}]`;
    if (brokenAt(regionPath, 'subgrids')) return { name: '', subgrids: [] };
    const subgrids = list(obj(region).subgrids).map((subgrid, si) => (brokenAt(`${regionPath}.subgrids[${si}]`, 'nodes') ? { name: '', nodes: [] } : subgrid));
    return { ...obj(region), subgrids };
  });
  const name = obj(top.metadata).name;
  const raw = {
    ...top,
    metadata: { name: typeof name === 'string' ? name : '' },
    regions,
    // Rollout is no node's setting: only its own checks need it.
    rollout: undefined,
    playbooks: paths.includes('playbooks') ? undefined : top.playbooks,
  } as unknown as RawTopology;
  return { raw, unsound: (path) => brokenAt(pathToString(path)) };
}
