/**
 * The most peers one node keeps per-sender state for (replay windows, nonces, reply addresses,
 * slot holders, fresh peers). A packet with a valid MAC can name any sender, so without a bound a
 * node holding the grid key (compromised, or buggy) could fill another node's memory one name per
 * packet. The largest honest population one map sees is a super peer's sub-grid (the docs measure
 * 2,000 members; a region peer hears its region's super peers and the other regions' peers, far
 * fewer), so 8,192 leaves four times that head room before an honest peer could be pushed out,
 * while 8,192 entries of a few hundred bytes stay within a few MB per map.
 */
export const MAX_TRACKED_PEERS = 8192;

/**
 * A Map that holds at most `capacity` entries, forgetting the least recently set one first
 * (Map keeps insertion order, and set() moves a key to the end). `onEvict` hears every key
 * forgotten that way, so that a caller can act on what forgetting means (guard.ts).
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!(capacity >= 1)) throw new Error(`BoundedMap capacity must be at least 1, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Sets (and marks as most recently used) the key; forgets the least recently set keys beyond the capacity. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const [oldest, evicted] = this.entries.entries().next().value as [K, V];
      this.entries.delete(oldest);
      this.onEvict?.(oldest, evicted);
    }
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries.entries();
  }
}
