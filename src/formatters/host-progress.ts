import { Listr } from 'listr2';
import type { ApplyEvent } from '../engine/gate.js';
import { endableRenderer } from './endable-renderer.js';

/** One host's progress while its changes run. */
interface HostLine {
  host: string;
  total: number;
  done: number;
  current?: string;
  startedAt?: number;
  finishedAt?: number;
  status: 'waiting' | 'running' | 'done' | 'failed' | 'skipped';
  error?: string;
  settle?: () => void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Live progress of apply on a terminal (listr2): a line per host with changes, saying which
 * change it is on, how many are done, and for how long it has been at it, refreshed while its
 * script runs; then ✓ or ✗. Fed by the same events `--json` prints.
 */
export class HostProgress {
  private readonly lines = new Map<string, HostLine>();
  private run?: Promise<unknown>;
  private readonly live = endableRenderer();
  private cutShort = false;

  constructor(hosts: ReadonlyArray<{ host: string; changes: number }>) {
    for (const h of hosts) this.lines.set(h.host, { host: h.host, total: h.changes, done: 0, status: 'waiting' });
  }

  /**
   * Whether the live lines were stopped before the run ended (endLive): the events that follow are
   * the caller's to print, one line each, as off a terminal.
   */
  get endedEarly(): boolean {
    return this.cutShort;
  }

  start(): void {
    if (this.run || this.cutShort || this.lines.size === 0) return;
    const list = new Listr(
      [...this.lines.values()].map((line) => ({
        title: this.title(line),
        task: async (_ctx: unknown, task: { title: string; skip: (message?: string) => void }) => {
          const tick = setInterval(() => (task.title = this.title(line)), 200);
          await new Promise<void>((resolve) => {
            line.settle = resolve;
            if (line.status === 'done' || line.status === 'failed' || line.status === 'skipped') resolve();
          });
          clearInterval(tick);
          task.title = this.title(line);
          if (line.status === 'failed') throw new Error(line.error ?? 'failed');
          if (line.status === 'skipped') task.skip(this.title(line));
        },
      })),
      // registerSignalListeners: listr2 would otherwise take SIGINT itself and exit 127 at once,
      // ahead of gridops' own handler (cli-flags.ts interruptOnSignals), which lets the hosts
      // being changed finish and records what was done: a Ctrl-C here is gridops' to handle.
      { concurrent: true, exitOnError: false, registerSignalListeners: false, renderer: this.live.renderer, rendererOptions: { collapseErrors: false } },
    );
    this.run = list.run().catch(() => undefined);
  }

  event(e: ApplyEvent): void {
    const line = this.lines.get(e.host);
    if (!line) return;
    switch (e.type) {
      case 'change-start':
        line.status = 'running';
        line.current = e.id;
        line.startedAt ??= performance.now();
        break;
      case 'change-done':
      case 'change-skipped':
        line.done++;
        break;
      case 'change-failed':
        // Where and how it failed comes with host-failed, said once (applier.ts's failedAt).
        line.current = e.id;
        break;
      case 'host-done':
        line.status = 'done';
        line.finishedAt = performance.now();
        line.settle?.();
        break;
      case 'host-failed':
        line.status = 'failed';
        line.error ??= `${e.step}: ${e.error}`;
        line.settle?.();
        break;
      case 'host-skipped':
        line.status = 'skipped';
        line.error = e.reason;
        line.settle?.();
        break;
    }
  }

  /**
   * Stops drawing now, the lines left as they are (at a Ctrl-C or SIGTERM): what is written to the
   * terminal next, the line saying what the run will still do, shows at once, not when the
   * batches end (endable-renderer.ts). Still fed events, to settle the lines when the run ends.
   */
  endLive(): void {
    this.cutShort = true;
    this.live.end();
  }

  /** Settles every host line still open (a run that ended early) and waits for the last render. */
  async stop(): Promise<void> {
    for (const line of this.lines.values()) {
      if (line.status === 'waiting' || line.status === 'running') {
        line.status = 'skipped';
        line.error ??= 'not started';
      }
      line.settle?.();
    }
    await this.run;
  }

  private title(line: HostLine): string {
    const elapsed = line.startedAt === undefined ? '' : `, ${seconds(performance.now() - line.startedAt)}`;
    switch (line.status) {
      case 'waiting':
        return `${line.host}: waiting (${line.total} change${line.total === 1 ? '' : 's'})`;
      case 'running':
        return `${line.host}: ${line.current ?? ''} (${line.done}/${line.total}${elapsed})`;
      case 'done':
        return `${line.host}: ${line.done} change${line.done === 1 ? '' : 's'} in ${seconds((line.finishedAt ?? 0) - (line.startedAt ?? line.finishedAt ?? 0))}`;
      case 'failed':
        return `${line.host}: failed at ${line.error ?? line.current ?? ''} (${line.done}/${line.total} done)`;
      case 'skipped':
        return `${line.host}: ${line.error ?? 'skipped'}`;
    }
  }
}
