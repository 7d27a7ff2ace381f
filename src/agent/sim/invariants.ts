import type { AgentCore } from '../core/agent.js';
import type { StepObserver } from './network.js';

/** A broken safety property, with where and when it was seen. */
export interface Violation {
  time: number;
  message: string;
}

/**
 * Checks "at most one node ever believes it leads (tier, group, term)" after every step of
 * every node, crashed-and-restarted ones included: the record of who led a term is never
 * forgotten, so a restarted node that leads a term again under a new identity is caught too.
 */
export class SingleLeaderPerTerm {
  readonly violations: Violation[] = [];
  private readonly leaders = new Map<string, string>();
  private readonly reported = new Set<string>();

  readonly observer: StepObserver = (node: string, core: AgentCore, time: number) => {
    if (core.subgrid.isLeader()) this.record(`subgrid ${core.status().subgrid}`, core.subgrid.term, node, time);
    if (core.region.isLeader()) this.record(`region ${core.status().region}`, core.region.term, node, time);
  };

  /** How many (group, term) pairs had a leader. */
  get termsWithLeader(): number {
    return this.leaders.size;
  }

  /** How many region terms after the first had a region peer: region re-elections really happened. */
  get regionReelections(): number {
    let count = 0;
    for (const key of this.leaders.keys()) if (key.startsWith('region ') && Number(key.slice(key.lastIndexOf('#') + 1)) > 1) count++;
    return count;
  }

  private record(group: string, term: number, node: string, time: number): void {
    const key = `${group}#${term}`;
    const existing = this.leaders.get(key);
    if (existing === undefined) this.leaders.set(key, node);
    else if (existing !== node && !this.reported.has(key) && this.violations.length < 10) {
      this.reported.add(key);
      this.violations.push({ time, message: `${group} term ${term}: ${existing} and ${node} both lead` });
    }
  }
}
