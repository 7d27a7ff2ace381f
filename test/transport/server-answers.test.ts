/**
 * serverAnswers on stand-ins for ssh2's client internals it uses (the keeper's tests use a real
 * client): the reply is matched by the callback it queues after the send, a close calls that
 * callback with an Error, and an ssh2 whose internals differ is asked nothing.
 */
import { jest } from '@jest/globals';
import type { Client } from 'ssh2';
import { serverAnswers } from '../../src/transport/server-answers.js';

type Reply = (outcome: unknown) => void;

function client(ping: () => void = () => undefined): { client: Client; replies: Reply[]; sent: () => number } {
  const replies: Reply[] = [];
  let sent = 0;
  const protocol = {
    ping() {
      ping();
      sent++;
    },
  };
  return { client: { _callbacks: replies, _protocol: protocol } as unknown as Client, replies, sent: () => sent };
}

describe('serverAnswers', () => {
  it("a failure reply (what sshd answers a keepalive with) or a success is an answer", async () => {
    for (const reply of [true, false]) {
      const c = client();
      const answer = serverAnswers(c.client, 5000);
      expect(c.sent()).toBe(1);
      expect(c.replies).toHaveLength(1);
      c.replies.shift()!(reply);
      await expect(answer).resolves.toBe('answers');
    }
  });

  it('no reply within the time is silent', async () => {
    const c = client();
    await expect(serverAnswers(c.client, 30)).resolves.toBe('silent');
  });

  it('the connection closing meanwhile (ssh2 calls each queued callback with an Error) is closed', async () => {
    const c = client();
    const answer = serverAnswers(c.client, 5000);
    c.replies.shift()!(new Error('No response from server'));
    await expect(answer).resolves.toBe('closed');
  });

  it('a send that throws is closed, and queues nothing that a later reply would be matched to', async () => {
    const c = client(() => {
      throw new Error('write after end');
    });
    await expect(serverAnswers(c.client, 5000)).resolves.toBe('closed');
    expect(c.replies).toHaveLength(0);
  });

  it('an ssh2 without the reply queue or the ping is asked nothing: unknown', async () => {
    const ping = jest.fn();
    await expect(serverAnswers({ _protocol: { ping } } as unknown as Client, 10)).resolves.toBe('unknown');
    await expect(serverAnswers({ _callbacks: [] } as unknown as Client, 10)).resolves.toBe('unknown');
    expect(ping).not.toHaveBeenCalled();
  });
});
