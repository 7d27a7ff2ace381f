import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { InterruptedError } from './errors/index.js';

/**
 * Asks `question` on a terminal; true only for the answer "yes". A Ctrl-C at the question never
 * reaches the process's SIGINT handler: readline holds the terminal in raw mode, reads the ^C
 * itself and ends the question with an AbortError. That is an interrupt with nothing changed yet,
 * reported as one (exit 130), not as an unknown error. `signal` is the run's interrupt: a SIGTERM,
 * or a SIGINT sent with kill (which readline never reads), ends the question the same way, as the
 * line printed then promises ("nothing has been changed yet; stopping"), instead of leaving it open.
 */
export async function askYes(question: string, input: Readable = process.stdin, output: Writable = process.stdout, signal?: AbortSignal): Promise<boolean> {
  const rl = createInterface({ input, output });
  try {
    return (await rl.question(question, signal ? { signal } : {})).trim() === 'yes';
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw new InterruptedError('interrupted at the question; nothing was changed');
    throw err;
  } finally {
    rl.close();
  }
}
