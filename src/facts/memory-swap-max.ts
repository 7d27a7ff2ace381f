import type { HostFacts } from './host-facts.js';

/**
 * Why systemd would ignore a slice's `MemorySwapMax=` on this host, or null when it takes effect.
 * systemd sets it as the unified hierarchy's `memory.swap.max`: it needs the memory controller on
 * cgroup v2 (a v1 or hybrid node has it on v1, where systemd has no swap setting at all) and a
 * kernel that accounts swap there (without it the file does not exist).
 * A host with no cgroup hierarchy (`none`) gets null: its slice caps no memory to begin with; so
 * does a host without swap (many servers have none), where nothing can swap past the cap.
 */
export function whyMemorySwapMaxIgnored(facts: Pick<HostFacts, 'cgroup' | 'swapAccounting' | 'swapBytes'>): 'cgroup-v1' | 'no-swap-accounting' | null {
  if (facts.swapBytes === 0) return null;
  if (facts.cgroup === 'v1' || facts.cgroup === 'hybrid') return 'cgroup-v1';
  if (facts.cgroup === 'v2' && !facts.swapAccounting) return 'no-swap-accounting';
  return null;
}
