/** Where the lab reports what it is doing. The command prints it; tests pass `silentProgress`. */
export interface Progress {
  /** A new phase starts (always shown). */
  step(title: string): void;
  /** Fine-grained detail (shown with --verbose). */
  detail(text: string): void;
  /** A phase or a node finished; `ms` is shown with --verbose. */
  done(title: string, ms: number): void;
}

export const silentProgress: Progress = { step() {}, detail() {}, done() {} };

/** Simple line output: one line per phase, timings and details only when verbose. */
export function lineProgress(write: (line: string) => void, verbose: boolean): Progress {
  const t0 = Date.now();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s]`;
  return {
    step: (title) => write(verbose ? `${stamp()} ${title}` : title),
    detail: (text) => {
      if (verbose) write(`${stamp()}   ${text}`);
    },
    done: (title, ms) => write(verbose ? `${stamp()} ${title} (${(ms / 1000).toFixed(2)} s)` : title),
  };
}
