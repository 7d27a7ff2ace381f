import { InterruptedError, RemoteCommandError } from '../errors/index.js';
import type { Change } from '../plan/change.js';
import type { Transport } from '../transport/transport.js';
import { HostWriter } from './host-writer.js';

/** What apply reports as it goes; `--json` prints these as JSON lines. */
export type ApplyEvent =
  | { type: 'phase'; phase: string; at: number }
  | { type: 'change-start'; host: string; id: string; summary: string }
  | { type: 'change-done'; host: string; id: string; ms: number }
  | { type: 'change-failed'; host: string; id: string; ms: number; error: string; stderr?: string }
  | { type: 'host-done'; host: string; applied: number; ms: number }
  | { type: 'host-failed'; host: string; step: string; error: string; stderr?: string }
  | { type: 'host-skipped'; host: string; reason: string };

/**
 * The single gate that every remote mutation passes (k0sctl's `Wet`), with the thing passed
 * being a typed Change. It hands out the only HostWriters, refuses to start new work after
 * Ctrl-C, and reports every step.
 */
export class MutationGate {
  private readonly writers = new Map<string, HostWriter>();

  constructor(
    private readonly emit: (event: ApplyEvent) => void,
    private readonly signal?: AbortSignal,
  ) {}

  private writerFor(transport: Transport, become: boolean): HostWriter {
    let w = this.writers.get(transport.name);
    if (!w) this.writers.set(transport.name, (w = new HostWriter(transport, become)));
    return w;
  }

  /** Performs one change on one host through `perform`, which receives the host's writer. */
  async pass(transport: Transport, become: boolean, change: Change, perform: (writer: HostWriter) => Promise<void>): Promise<void> {
    if (this.signal?.aborted) throw new InterruptedError(`${transport.name}: interrupted before ${change.id}`);
    const host = transport.name;
    this.emit({ type: 'change-start', host, id: change.id, summary: change.summary });
    const t0 = performance.now();
    try {
      await perform(this.writerFor(transport, become));
    } catch (err) {
      const ms = Math.round(performance.now() - t0);
      this.emit({ type: 'change-failed', host, id: change.id, ms, error: (err as Error).message, ...(err instanceof RemoteCommandError ? { stderr: err.stderr } : {}) });
      throw err;
    }
    this.emit({ type: 'change-done', host, id: change.id, ms: Math.round(performance.now() - t0) });
  }
}
