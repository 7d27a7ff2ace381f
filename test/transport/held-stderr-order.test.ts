/**
 * sshd relays a session's stdout and stderr pipes as separate channel data, so what the read wrote
 * on stderr can arrive after the sentinel line that ends its stdout. The read is complete only
 * once both streams have shown their sentinel: else its stderr was dropped when the batch started,
 * or counted as the batch's. A fake channel sends the two streams in the order a test picks.
 */
import { EventEmitter } from 'node:events';
import type { ClientChannel } from 'ssh2';
import { HeldChannel, heldReadCommand, heldSentinel } from '../../src/transport/held-read.js';

function fakeChannel(): ClientChannel & { stderr: EventEmitter; written: string[] } {
  const channel = new EventEmitter() as unknown as ClientChannel & { stderr: EventEmitter; written: string[] };
  channel.stderr = new EventEmitter() as never;
  channel.written = [];
  (channel as unknown as { end: (s?: string) => void }).end = (s?: string) => void (s && channel.written.push(s));
  return channel;
}

const host = { end: () => undefined, watch: () => undefined };

it('the read marks its stderr with the sentinel too, after its own', () => {
  const sentinel = heldSentinel();
  const command = heldReadCommand('echo out; echo err >&2', sentinel);
  expect((command.match(new RegExp(sentinel, 'g')) ?? []).length).toBe(2);
});

it.each([
  ['stderr before the stdout sentinel', ['err', 'out']],
  ['stderr after the stdout sentinel', ['out', 'err']],
])('%s: the read has its whole stderr, and the batch none of it', async (_name, order) => {
  const sentinel = heldSentinel();
  const channel = fakeChannel();
  const held = new HeldChannel('n1', channel, sentinel, host);
  let resolved = false;
  const reading = held.read('probe', 5000).then((h) => ((resolved = true), h));
  const send = {
    out: () => channel.emit('data', Buffer.from(`read-out\n\n${sentinel} 0 4242\n`)),
    err: () => channel.stderr.emit('data', Buffer.from(`read-err\n\n${sentinel}\n`)),
  } as const;
  send[order[0] as 'out' | 'err']();
  await Promise.resolve();
  // One stream alone does not end the read.
  expect(resolved).toBe(false);
  send[order[1] as 'out' | 'err']();
  const done = await reading;
  expect(done.result).toEqual({ stdout: 'read-out\n', stderr: 'read-err\n', code: 0 });
  const batch = done.proceed('echo b\n', { timeoutMs: 5000 });
  channel.emit('data', Buffer.from('b\n'));
  channel.stderr.emit('data', Buffer.from('batch-err\n'));
  channel.emit('exit', 0);
  channel.emit('close');
  expect(await batch).toEqual({ stdout: 'b\n', stderr: 'batch-err\n', code: 0 });
});
