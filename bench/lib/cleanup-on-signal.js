// A bench that brings up a lab must bring it down however it ends: finished, failed, or stopped by
// Ctrl-C or SIGTERM. Without a handler Node dies of the signal at once, no `finally` runs, and the
// lab stays up for the next run to trip over. With one, the signal's JS handler still runs only
// when the event loop turns: never during a spawnSync (the bench's timed runs), which blocks until
// its child ends. Ctrl-C reaches the child too (the terminal signals the whole process group), so
// the child ends, and the bench lets the loop turn (signalsDelivered) before it gives up on a
// failed child or starts the next one: the handler then runs the cleanup and exits 130 or 143.
import { spawnSync } from 'node:child_process';

/** The exit status after each signal handled: 128 + its number, as a shell reports it. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 };

/**
 * Runs `cleanup` at most once: when the returned function is called, or on SIGINT or SIGTERM, after
 * which the process exits 130 or 143 (a signal after the cleanup ran only exits). `proc`: node's
 * process, or a fake.
 */
export function cleanupOnSignal(cleanup, log = (line) => console.error(line), proc = process) {
  let ran = false;
  const once = () => {
    if (ran) return;
    ran = true;
    cleanup();
  };
  for (const [signal, status] of Object.entries(SIGNAL_EXIT)) {
    proc.on(signal, () => {
      if (!ran) log(`${signal}: stopping; cleaning up first`);
      once();
      proc.exit(status);
    });
  }
  return once;
}

/**
 * Resolves after the event loop has turned enough for a signal that came during a spawnSync to
 * reach its handler (a setImmediate is not always enough: measured, 1 ms was).
 */
export function signalsDelivered() {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

/** The signal (SIGINT, SIGTERM) that ended a spawnSync child, or the exit status it chose for it (130, 143); undefined otherwise. */
export function interruptedChild(result) {
  if (result.signal && Object.hasOwn(SIGNAL_EXIT, result.signal)) return result.signal;
  return Object.entries(SIGNAL_EXIT).find(([, status]) => status === result.status)?.[0];
}

/**
 * Runs `command ...argv` (the lab's `lab down`) and returns whether it succeeded; where it did
 * not, says so loudly with the command to run by hand, since a lab left up holds its hosts and
 * addresses and makes the next bench reuse it.
 */
export function bringDown(command, argv, log = (line) => console.error(line)) {
  const r = spawnSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status === 0) return true;
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  const said = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-5).join('\n  ');
  log(`WARNING: the lab is still up: \`${command} ${argv.join(' ')}\` failed (${why})${said ? `:\n  ${said}` : ''}\nbring it down by hand: ${command} ${argv.join(' ')}`);
  return false;
}
