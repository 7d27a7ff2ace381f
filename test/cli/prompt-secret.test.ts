/**
 * `--ask-become-pass`'s prompt, on a terminal: the password is not echoed, and the prompt always
 * settles. Every host whose sudo asks waits on its answer (BecomePassword), so a prompt that never
 * settled held their reads until the read's 60 s timeout, after a Ctrl-C the run never heard of.
 */
import { jest } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { ExitCode, InterruptedError } from '../../src/errors/index.js';
import { promptSecret } from '../../src/prompt-secret.js';

/** A fake terminal: readline treats a stream with isTTY as one, in raw mode. */
function terminal(): { input: PassThrough & { isTTY: boolean; setRawMode: () => void }; output: PassThrough; shown: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => (shown += d.toString()));
  return { input, output, shown: () => shown };
}

describe('promptSecret', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers what was typed, without showing it', async () => {
    const t = terminal();
    const answer = promptSecret('sudo password: ', { input: t.input, output: t.output });
    t.input.write('s3cret\r');
    await expect(answer).resolves.toBe('s3cret');
    expect(t.shown()).toContain('sudo password: ');
    expect(t.shown()).not.toContain('s3cret');
  });

  it('a Ctrl-C at the prompt is an interrupt of the run: the SIGINT the terminal would have sent reaches the process, and the prompt ends', async () => {
    const t = terminal();
    const signals: unknown[] = [];
    const onSigint = (signal: unknown) => signals.push(signal);
    process.on('SIGINT', onSigint);
    try {
      const answer = promptSecret('sudo password: ', { input: t.input, output: t.output });
      t.input.write('\x03');
      const err = await answer.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InterruptedError);
      expect((err as InterruptedError).message).toBe('interrupted at the sudo password prompt');
      expect((err as InterruptedError).exitCode).toBe(ExitCode.INTERRUPTED);
      expect(signals).toEqual(['SIGINT']);
    } finally {
      process.off('SIGINT', onSigint);
    }
  });

  it("the run's interrupt (SIGTERM, or a kill -INT readline never reads) ends the prompt", async () => {
    const t = terminal();
    const run = new AbortController();
    const answer = promptSecret('sudo password: ', { input: t.input, output: t.output, signal: run.signal });
    run.abort(new Error('interrupted'));
    await expect(answer).rejects.toThrow(new InterruptedError('interrupted at the sudo password prompt'));
    expect(t.input.listenerCount('keypress')).toBe(0);
  });

  it('input that ends (Ctrl-D, a closed terminal) before a password is typed: no password, said so', async () => {
    for (const end of [(t: ReturnType<typeof terminal>) => t.input.write('\x04'), (t: ReturnType<typeof terminal>) => t.input.end()]) {
      const t = terminal();
      const answer = promptSecret('sudo password: ', { input: t.input, output: t.output });
      end(t);
      await expect(answer).rejects.toThrow('no password was typed (the terminal input ended)');
    }
  });
});
