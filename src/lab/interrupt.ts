/**
 * Runs `fn` with an AbortSignal raised by the first Ctrl-C (SIGINT or SIGTERM). The lab
 * library then stops launching, records what exists in lab.json and throws InterruptedError,
 * so `gridops lab down` can remove everything. A second Ctrl-C exits at once.
 */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSignal = () => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: stopping and recording what was built (Ctrl-C again to quit at once)\n');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
