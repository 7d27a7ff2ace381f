/**
 * A token bucket of MAC work for datagrams from sources that are not known peers, in bytes hashed:
 * a check costs `overheadBytes` (what one HMAC costs beyond its input, measured as about as much
 * as hashing 2 KiB) plus the datagram's length, so that a flood of 16 KiB datagrams gets as little
 * CPU as one of 60-byte ones. Refilled continuously from the clock rather than once per tick: a
 * flood that empties it takes each token as it comes back, and a newcomer's datagram arriving at
 * any moment of the flood gets a check with about the chance budget / flood rate, not never.
 */
export class MacCheckBudget {
  private tokens: number;
  private refilledAt: number | null = null;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly burstBytes: number,
    private readonly overheadBytes: number,
  ) {
    this.tokens = burstBytes;
  }

  /** Takes what checking a datagram of `bytes` costs, if the bucket holds it. `now`: milliseconds. */
  take(bytes: number, now: number): boolean {
    if (this.refilledAt !== null && now > this.refilledAt) this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.refilledAt) * this.bytesPerSecond) / 1000);
    if (this.refilledAt === null || now > this.refilledAt) this.refilledAt = now;
    const cost = this.overheadBytes + bytes;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}
