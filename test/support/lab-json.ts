import { writeFileSync } from 'node:fs';
import { labFiles } from '../../src/lab/paths.js';
import type { LabPlan, LabState } from '../../src/lab/types.js';

/**
 * Writes DIR/lab.json for a lab of `plan` that is up (phase ready, the files at labFiles(DIR)'s
 * paths, its nodes' directories under DIR/nodes), with `rest` over those defaults; returns the record.
 */
export function writeLabJson(dir: string, plan: LabPlan, rest: Partial<LabState> = {}): LabState {
  const files = labFiles(dir);
  const state: LabState = {
    version: 1,
    phase: 'ready',
    dir,
    createdAt: '2026-12-06T00:00:00Z',
    plan,
    runDir: files.nodes,
    files: { topology: files.topology, knownHosts: files.knownHosts, identity: files.identity, publicKey: files.publicKey, state: files.state },
    nodes: [],
    ...rest,
  };
  writeFileSync(state.files.state, JSON.stringify(state));
  return state;
}
