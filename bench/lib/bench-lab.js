/**
 * What the provision bench may do with the lab in its directory (GRIDOPS_BENCH_LAB), from what it
 * finds there: the bench brings down, or reuses, only a lab it made itself, since that directory may
 * be a user's lab. A lab is the bench's when its lab.json says kind netns and the bench's marker file
 * (BENCH_LAB_MARKER, written after its `lab up`) holds that lab.json's createdAt: a lab brought up by
 * hand in the same directory later has another createdAt. A topology.yaml with no lab.json is a
 * file `lab down` kept (edited) or one written by hand, not a running lab. Pure: bench/provision.js
 * reads the files.
 */

/** The marker file in the lab's directory: the createdAt of the lab the bench brought up there. */
export const BENCH_LAB_MARKER = '.gridops-bench-lab';

const elsewhere = 'point GRIDOPS_BENCH_LAB at another directory, or bring that lab down yourself (gridops lab down --dir DIR) and run the bench again';

/**
 * `fresh`: no lab, bring one up; `reuse`: the bench's own lab with enough hosts; `replace`: the
 * bench's own lab with too few, brought down first; `refuse`: stop, touching nothing.
 */
export function benchLabChoice({ dir, maxHosts, labJson, marker, topology }) {
  if (labJson === undefined) {
    if (topology === undefined) return { action: 'fresh' };
    return { action: 'refuse', reason: `${dir}/topology.yaml is there but no lab.json (a file lab down kept, or one written by hand): the bench would overwrite it; move it aside, or ${elsewhere}` };
  }
  let shape;
  let createdAt;
  try {
    const state = JSON.parse(labJson);
    shape = state.plan.shape;
    createdAt = state.createdAt;
  } catch {
    return { action: 'refuse', reason: `the lab.json in ${dir} cannot be read: ${elsewhere}` };
  }
  if (shape?.kind !== 'netns' || typeof createdAt !== 'string' || marker?.trim() !== createdAt) {
    return { action: 'refuse', reason: `the lab in ${dir} was not made by the bench (a ${shape?.nodes}-host ${shape?.kind} lab): it is left alone; ${elsewhere}` };
  }
  return { action: shape.nodes >= maxHosts ? 'reuse' : 'replace', hosts: shape.nodes };
}
