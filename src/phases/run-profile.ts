import type { Ssh2Origin } from '../transport/ssh2-client.js';

/** The stages of one host's work that the profile times. */
export type HostStage = 'connect' | 'read' | 'apply';

/** One phase's wall time. */
export interface PhaseTiming {
  title: string;
  ms: number;
}

/**
 * Where a run's time went (`-v` prints it; bench/provision.js reads it): the wall time of each
 * phase, and each host's connect, read (facts and probes, one round trip) and apply times. Hosts
 * overlap, so their times add up to more than the phase that holds them; their spread is what
 * says whether a few slow hosts or the common path cost the time.
 */
export class RunProfile {
  readonly phases: PhaseTiming[] = [];
  /** From the process's start to the run's (node, oclif, the command's modules, flag parsing). */
  startupMs?: number;
  /** Whether bin/run.js compiled the CLI from its V8 code cache: `used`, `rejected` (another Node or V8 flags) or `none` (no cache file). */
  codeCache?: string;
  /** Where ssh2 came from, known at the run's end (it loads at the first connection, after the start-up line's cache): undefined when the run connected nowhere. */
  ssh2?: Ssh2Origin;
  readonly hosts = new Map<string, Partial<Record<HostStage, number>>>();
  /** How many hosts were read without a shell (engine/read-without-shell.ts). */
  readWithoutShell?: number;

  phase(title: string, ms: number): void {
    this.phases.push({ title, ms: Math.round(ms) });
  }

  host(name: string, stage: HostStage, ms: number): void {
    const entry = this.hosts.get(name) ?? {};
    entry[stage] = Math.round(ms);
    this.hosts.set(name, entry);
  }

  /** Human lines: phases in order, then per stage the median, 90th percentile and slowest host, then where ssh2 came from. */
  lines(): string[] {
    const out = [...(this.startupMs === undefined ? [] : [`start-up (process start to the first phase${this.codeCache ? `, code cache ${this.codeCache}` : ''}): ${this.startupMs} ms`]), ...this.phases.map((p) => `phase ${p.title}: ${p.ms} ms`)];
    for (const stage of ['connect', 'read', 'apply'] as const) {
      const times = [...this.hosts].flatMap(([host, t]) => (t[stage] === undefined ? [] : [{ host, ms: t[stage]! }])).sort((a, b) => a.ms - b.ms);
      if (!times.length) continue;
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.ms;
      const slowest = times[times.length - 1]!;
      out.push(`hosts ${stage}: ${times.length} hosts, median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${slowest.ms} ms (${slowest.host})`);
      if (stage === 'read' && this.readWithoutShell !== undefined) out.push(`hosts read without a shell (SFTP): ${this.readWithoutShell} of ${times.length}`);
    }
    if (this.ssh2) out.push(`ssh2 loaded from ${this.ssh2.from === 'bundle' ? `its bundle, code cache ${this.ssh2.codeCache}` : 'node_modules'}`);
    return out;
  }
}
