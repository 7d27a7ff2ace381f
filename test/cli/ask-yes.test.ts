/**
 * The question before any change, on a terminal: only "yes" proceeds, and a Ctrl-C there (which
 * readline reads itself, in raw mode) is an interrupt with nothing changed, not an unknown error.
 */
import { PassThrough } from 'node:stream';
import { askYes } from '../../src/ask-yes.js';
import { ExitCode, InterruptedError } from '../../src/errors/index.js';

/** A fake terminal: readline treats a stream with isTTY as one, in raw mode. */
function terminal(): { input: PassThrough & { isTTY: boolean; setRawMode: () => void }; output: PassThrough } {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  output.resume();
  return { input, output };
}

describe('askYes', () => {
  it('is true for "yes" alone', async () => {
    const t = terminal();
    const yes = askYes('Apply? ', t.input, t.output);
    t.input.write('yes\r');
    await expect(yes).resolves.toBe(true);
    const t2 = terminal();
    const y = askYes('Apply? ', t2.input, t2.output);
    t2.input.write('y\r');
    await expect(y).resolves.toBe(false);
  });

  it('a Ctrl-C at the question is an interrupt (exit 130) that says nothing was changed', async () => {
    const t = terminal();
    const answer = askYes('Apply? ', t.input, t.output);
    t.input.write('\x03');
    const err = await answer.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect((err as InterruptedError).message).toBe('interrupted at the question; nothing was changed');
    expect((err as InterruptedError).exitCode).toBe(ExitCode.INTERRUPTED);
  });

  it("the run's interrupt (SIGTERM, or kill -INT, which readline never reads) ends the question the same way", async () => {
    const t = terminal();
    const run = new AbortController();
    const answer = askYes('Apply? ', t.input, t.output, run.signal);
    run.abort(new Error('interrupted'));
    const err = await answer.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect((err as InterruptedError).message).toBe('interrupted at the question; nothing was changed');
    // The terminal is given back: nothing reads it any more.
    expect(t.input.listenerCount('keypress')).toBe(0);
  });

  it('a run already interrupted does not ask', async () => {
    const t = terminal();
    const run = new AbortController();
    run.abort(new Error('interrupted'));
    await expect(askYes('Apply? ', t.input, t.output, run.signal)).rejects.toBeInstanceOf(InterruptedError);
  });
});
