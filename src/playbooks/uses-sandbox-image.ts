import type { EffectiveSettings } from '../topology/model.js';
import { appliesTo, type LoadedPlaybook } from './load.js';

/** The resource kinds made from the node's `hypervisor.sandbox.image` (playbooks/instantiate.ts reads the file for each). */
const IMAGE_KINDS = ['sandbox-image', 'sandbox-disk', 'sandbox-domain'] as const;

/** Whether these playbooks, on a node with these settings, read its sandbox image (so it must be on this machine). */
export function usesSandboxImage(playbooks: readonly LoadedPlaybook[], settings: EffectiveSettings): boolean {
  return playbooks.some((p) => appliesTo(p, settings) && p.resources.some((r) => IMAGE_KINDS.some((kind) => kind in r)));
}
