/**
 * Lifeguard's local health (Dadgar et al., "Lifeguard: Local Health Awareness for More Accurate
 * Failure Detection", 2018), fed by the one thing a starved node can measure about itself: how
 * late its own ticks run. A node whose event loop or CPU share is starved sees silence from peers
 * whose packets are in fact waiting in its socket buffer, so it would suspect healthy peers and
 * start needless elections. Instead, while it is slow, it is patient:
 *
 * - a tick that itself ran late (`laggingNow`) starts no election, suspects no member, declares no
 *   leader lost and does not step down for lost quorum: the packets queued behind the stall have
 *   not been read yet, and are read right after this tick. The next tick judges again even if it
 *   is late too (the socket was read in between), so a node that is slow for good still acts;
 * - every failure timeout is multiplied by `1 + score` (Lifeguard's LHM), where the score rises
 *   with each late tick (more for later ones) and falls back by one per `recoveryTicks` on-time
 *   ticks, so a node that was slow a moment ago stays cautious for a while.
 *
 * Pure: the runtime measures the lag and passes it in (AgentCore.tick(lagMs)); the simulation
 * passes whatever it wants to model.
 */
export interface LocalHealthSettings {
  /** A tick later than this (in ticks) counts as slow. */
  lateThreshold: number;
  /** The score's ceiling (Lifeguard's default LHM maximum is 8). */
  maxScore: number;
  /** On-time ticks needed to lower the score by one. */
  recoveryTicks: number;
}

/** Defaults for 100 ms ticks: 50 ms late is slow; the score tops out at 4 (timeouts x5); 1 s on time per step down. */
export const LOCAL_HEALTH_DEFAULTS: LocalHealthSettings = { lateThreshold: 0.5, maxScore: 4, recoveryTicks: 10 };

/** One node's local health score, shared by both tiers of its agent. */
export class LocalHealth {
  private score = 0;
  private onTimeStreak = 0;
  private lateNow = false;
  /** Late ticks seen since start (for /metrics). */
  lateTicks = 0;
  /**
   * Wall time since start, in ticks: each tick counts one plus how late it ran. A window measured
   * in this node's own ticks stretches with its starvation (ticking every 3rd tick, CheckQuorum's
   * 3.5 s window took 10.5 s); one measured in wall ticks does not.
   */
  wallTicks = 0;

  constructor(private readonly settings: LocalHealthSettings = LOCAL_HEALTH_DEFAULTS) {}

  /** Called once per tick with how late that tick ran, in ticks (0 = on time). */
  observe(lagTicks: number): void {
    this.wallTicks += 1 + (Number.isFinite(lagTicks) ? Math.max(0, lagTicks) : 0);
    const late = Number.isFinite(lagTicks) && lagTicks >= this.settings.lateThreshold;
    // A judgement due in a late tick waits one tick, never more.
    this.lateNow = late && !this.lateNow;
    if (late) {
      this.lateTicks++;
      this.onTimeStreak = 0;
      // A tick one whole tick late or more says more than a jittery one: raise by the ticks lost.
      this.score = Math.min(this.settings.maxScore, this.score + Math.max(1, Math.floor(lagTicks)));
      return;
    }
    this.onTimeStreak++;
    if (this.score > 0 && this.onTimeStreak >= this.settings.recoveryTicks) {
      this.score--;
      this.onTimeStreak = 0;
    }
  }

  /** This tick ran late (and the one before did not hold back): judge nobody in it. */
  get laggingNow(): boolean {
    return this.lateNow;
  }

  /** Lifeguard's local health multiplier score, 0 (healthy) to maxScore. */
  get healthScore(): number {
    return this.score;
  }

  /** A failure timeout (in ticks), widened while this node is slow. */
  scale(ticks: number): number {
    return ticks * (1 + this.score);
  }
}
