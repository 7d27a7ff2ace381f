import { ANSWER_MS, UNANSWERED_MS } from './dns-answer-ages.js';

/**
 * A DNS name's send targets as last resolved (a seed's, seed-resolver.ts; the region peer name's,
 * region-resolver.ts), used until the answer is too old by the one rule of dns-answer-ages.ts.
 */
export class KeptTargets {
  private kept: { at: number; keepMs: number; targets: string[] } | null = null;

  constructor(
    // Monotonic by default: a wall clock stepped back an hour kept a 30 s answer for an hour (a moved seed ignored).
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The targets kept, while young enough; undefined when the name is to be resolved again. */
  current(): string[] | undefined {
    if (this.kept === null || this.now() - this.kept.at >= this.kept.keepMs) return undefined;
    return this.kept.targets;
  }

  /**
   * Keeps the targets, and returns them: 30 s, or 2 s when there are none because a query went
   * `unanswered` (DNS's own word that the name has no address is an answer, kept 30 s).
   */
  keep(targets: string[], unanswered: boolean): string[] {
    this.kept = { at: this.now(), keepMs: targets.length === 0 && unanswered ? UNANSWERED_MS : ANSWER_MS, targets };
    return targets;
  }
}
