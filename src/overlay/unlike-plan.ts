import type { OverlayAgreement } from './convergence.js';
import type { InitialElection } from './initial-election.js';

/**
 * Which planned first elections came out otherwise (say the planned node's agent started late or
 * failed). Not an error: the overlay elected someone, and live scores rule from then on.
 */
export function unlikePlan(election: InitialElection, agreement: OverlayAgreement): string[] {
  const differ: string[] = [];
  for (const s of election.subgrids) {
    const key = `${s.region}/${s.subgrid}`;
    if (s.status === 'initial' && key in agreement.superPeers && agreement.superPeers[key] !== s.superPeer) differ.push(`${key}: super peer ${agreement.superPeers[key] ?? '(none)'}, planned ${s.superPeer}`);
  }
  for (const r of election.regions) {
    if (r.status === 'initial' && r.region in agreement.regionPeers && agreement.regionPeers[r.region] !== r.regionPeer) differ.push(`${r.region}: region peer ${agreement.regionPeers[r.region] ?? '(none)'}, planned ${r.regionPeer}`);
  }
  return differ;
}
