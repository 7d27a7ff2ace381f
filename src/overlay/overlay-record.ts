import type { OverlayAgreement } from './convergence.js';

/**
 * The overlay as the state file records it (`overlay` in GRID.state.json): a type of its own,
 * so the state's format changes only when this does, not whenever the check's result does.
 */
export interface OverlayRecord {
  verifiedAt: string;
  converged: boolean;
  /** Per `region/sub-grid`: the super peer its nodes follow, or null. */
  superPeers: Record<string, string | null>;
  /** Per region: the region peer its super peers name, or null. */
  regionPeers: Record<string, string | null>;
  /** Why it had not converged, one line per node or group; empty when converged. */
  waitingFor: string[];
  /** How many agents were asked. */
  nodes: number;
  ms: number;
  /** For the sub-grids and regions that the run elected (plan.election): the ones that came out otherwise. */
  unlikePlan?: string[];
}

/** What the state records of an agreement reached after `ms`, asking `nodes` agents. */
export function overlayRecord(agreement: OverlayAgreement, nodes: number, ms: number, unlikePlan?: string[]): OverlayRecord {
  return {
    verifiedAt: new Date().toISOString(),
    converged: agreement.converged,
    superPeers: { ...agreement.superPeers },
    regionPeers: { ...agreement.regionPeers },
    waitingFor: [...agreement.waitingFor],
    nodes,
    ms,
    ...(unlikePlan ? { unlikePlan } : {}),
  };
}
