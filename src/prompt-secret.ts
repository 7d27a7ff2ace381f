import { createInterface } from 'node:readline';
import { Writable, type Readable } from 'node:stream';
import { InterruptedError } from './errors/index.js';

/** Where the prompt reads and writes (the terminal unless a test gives its own), and the run's interrupt. */
export interface SecretPromptOptions {
  input?: Readable & { isTTY?: boolean };
  output?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/**
 * Asks for a secret on the terminal without echoing it. The answer always comes or fails: every
 * host whose sudo asks waits on it (transport/become.ts's BecomePassword), so a prompt left open
 * would hold their reads until the read's timeout.
 * - Ctrl-C: readline holds the terminal in raw mode and reads the ^C itself, so the process's
 *   SIGINT handler would never hear of it. The prompt ends, and the SIGINT the terminal would have
 *   sent is given to the process, so the run stops as at a Ctrl-C anywhere else (its notice, its
 *   exit 130; with no handler, Node's default: the process ends).
 * - `signal` (the run's interrupt: a SIGTERM, or a SIGINT sent with kill): the prompt ends.
 * - The input ends (Ctrl-D, a closed terminal): no password, and the hosts that needed one say so.
 */
export function promptSecret(question: string, options: SecretPromptOptions = {}): Promise<string> {
  const input = options.input ?? process.stdin;
  const shown = options.output ?? process.stderr;
  if (!input.isTTY) return Promise.reject(new Error('no terminal to ask for the password on; set GRIDOPS_BECOME_PASSWORD instead'));
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(interrupted());
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) shown.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input, output, terminal: true });
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    /** Ends the prompt once (closing readline gives the terminal back, out of raw mode). */
    const settle = (end: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      rl.close();
      shown.write('\n');
      end();
    };
    const onAbort = () => settle(() => reject(interrupted()));
    signal?.addEventListener('abort', onAbort, { once: true });
    rl.on('SIGINT', () => {
      settle(() => reject(interrupted()));
      // Synchronously where gridops listens (cli-flags.ts interruptOnSignals), so the run is marked
      // interrupted before the hosts waiting on this prompt fail; with no listener, as a terminal would.
      if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT', 'SIGINT');
      else process.kill(process.pid, 'SIGINT');
    });
    rl.on('close', () => settle(() => reject(new Error('no password was typed (the terminal input ended)'))));
    rl.question(question, (answer) => settle(() => resolve(answer)));
    muted = true;
  });
}

function interrupted(): InterruptedError {
  return new InterruptedError('interrupted at the sudo password prompt');
}
