import { ConnectionError, HostKeyError, InterruptedError } from '../../src/errors/index.js';
import { Fleet } from '../../src/transport/fleet.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { nodesOf } from './connect-support.js';

/** A refused host key anywhere fails the whole call; several are reported as one error that still names each host. */
describe('refused host keys across a fleet', () => {
  const nodes = nodesOf('user: root', ['a', 'b', 'c'].map((n, i) => `{ name: ${n}, address: 10.0.0.${i + 1} }`));
  const refusing = (names: string[]) => async (node: { name: string }) => {
    if (names.includes(node.name)) throw new HostKeyError(node.name, 'host key CHANGED', 'verify it out of band');
    return new RecordingTransport(node.name);
  };

  it('one refused: that host\'s own error', async () => {
    const err = await new Fleet().readEach(nodes, { concurrency: 3, acceptNewHostKeys: false, connect: refusing(['b']) }, async () => 'read').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).hosts).toEqual(['b']);
    expect((err as HostKeyError).message).toBe('b: host key CHANGED');
  });

  it('two refused: one error listing both, `hosts` naming each', async () => {
    const err = await new Fleet().readEach(nodes, { concurrency: 3, acceptNewHostKeys: false, connect: refusing(['a', 'c']) }, async () => 'read').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).hosts).toEqual(['a', 'c']);
    expect((err as HostKeyError).message).toBe('a, c: 2 host keys refused:\n  a: host key CHANGED\n  c: host key CHANGED');
    expect((err as HostKeyError).hint).toBe('verify it out of band');
  });

  describe('hosts not reached in the same run are named with the refusal, so one run shows all there is to fix', () => {
    const mixed = (refusedNames: string[], down: Record<string, Error>) => async (node: { name: string }) => {
      if (refusedNames.includes(node.name)) throw new HostKeyError(node.name, 'host key CHANGED', 'verify it out of band');
      const error = down[node.name];
      if (error) throw error;
      return new RecordingTransport(node.name);
    };

    it('one refused, one down: the refused host\'s message, then the host not reached with its own message; `notReached` carries its hint', async () => {
      const down = { c: new ConnectionError('c', 'cannot connect to 10.0.0.3:22: connection refused', 'check that sshd runs on c') };
      const err = (await new Fleet().readEach(nodes, { concurrency: 3, acceptNewHostKeys: false, connect: mixed(['a'], down) }, async () => 'read').catch((e: unknown) => e)) as HostKeyError;
      expect(err).toBeInstanceOf(HostKeyError);
      expect(err.hosts).toEqual(['a']);
      // The host's own hint under it, indented as a plan shows one: the hint after the message is the key's.
      expect(err.message).toBe('a: host key CHANGED\nalso not reached, 1 host to look at before the next run:\n  c: cannot connect to 10.0.0.3:22: connection refused\n      hint: check that sshd runs on c');
      expect(err.hint).toBe('verify it out of band');
      expect(err.notReached).toEqual([{ host: 'c', message: 'cannot connect to 10.0.0.3:22: connection refused', hint: 'check that sshd runs on c' }]);
      expect(err.toJSON()).toMatchObject({ code: 'HOST_KEY', notReached: [{ host: 'c', hint: 'check that sshd runs on c' }] });
    });

    it('a hint two hosts not reached share is said once after them, naming them; a hint of one host alone stays under it', async () => {
      const many = nodesOf('user: root', ['a', 'b', 'c', 'd'].map((n, i) => `{ name: ${n}, address: 10.0.2.${i + 1} }`));
      const down = {
        b: new ConnectionError('b', 'timed out', 'check that the host is up'),
        c: new ConnectionError('c', 'refused', 'check that sshd runs'),
        d: new ConnectionError('d', 'timed out', 'check that the host is up'),
      };
      const err = (await new Fleet().readEach(many, { concurrency: 4, acceptNewHostKeys: false, connect: mixed(['a'], down) }, async () => 'read').catch((e: unknown) => e)) as HostKeyError;
      expect(err.message).toBe('a: host key CHANGED\nalso not reached, 3 hosts to look at before the next run:\n  b: timed out\n  c: refused\n      hint: check that sshd runs\n  d: timed out\n  hint for b and d: check that the host is up');
      // --json keeps each host's own hint.
      expect(err.notReached.map((u) => u.hint)).toEqual(['check that the host is up', 'check that sshd runs', 'check that the host is up']);
    });

    it('two refused and one down: the list of refusals, then the host not reached', async () => {
      const down = { b: new Error('socket hang up') };
      const err = (await new Fleet().readEach(nodes, { concurrency: 3, acceptNewHostKeys: false, connect: mixed(['a', 'c'], down) }, async () => 'read').catch((e: unknown) => e)) as HostKeyError;
      expect(err.hosts).toEqual(['a', 'c']);
      expect(err.message).toBe('a, c: 2 host keys refused:\n  a: host key CHANGED\n  c: host key CHANGED\nalso not reached, 1 host to look at before the next run:\n  b: socket hang up');
      expect(err.notReached).toEqual([{ host: 'b', message: 'socket hang up' }]);
    });

    it('a host reached whose read then failed is not named: it was reached', async () => {
      const err = (await new Fleet()
        .readEach(nodes, { concurrency: 3, acceptNewHostKeys: false, connect: mixed(['a'], {}) }, async (host) => {
          if (host.node.name === 'b') throw new ConnectionError('b', 'gathering facts failed');
          return 'read';
        })
        .catch((e: unknown) => e)) as HostKeyError;
      expect(err.message).toBe('a: host key CHANGED');
      expect(err.notReached).toEqual([]);
    });

    it('a host whose connect an interrupt ended is not named: it was not judged', async () => {
      const down = { b: new InterruptedError('interrupted') };
      const err = (await new Fleet().readEach(nodes, { concurrency: 3, acceptNewHostKeys: false, connect: mixed(['a'], down) }, async () => 'read').catch((e: unknown) => e)) as HostKeyError;
      expect(err.message).toBe('a: host key CHANGED');
      expect(err.notReached).toEqual([]);
      expect(err.toJSON()).not.toHaveProperty('notReached');
    });

    it('more than ten not reached: ten named, the rest counted, each in `notReached`', async () => {
      const many = nodesOf('user: root', Array.from({ length: 13 }, (_, i) => `{ name: h${i}, address: 10.0.1.${i + 1} }`));
      const down = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`h${i + 1}`, new Error('timed out')]));
      const err = (await new Fleet().readEach(many, { concurrency: 13, acceptNewHostKeys: false, connect: mixed(['h0'], down) }, async () => 'read').catch((e: unknown) => e)) as HostKeyError;
      const lines = err.message.split('\n');
      expect(lines[1]).toBe('also not reached, 12 hosts to look at before the next run:');
      expect(lines.slice(2, 12)).toEqual(Array.from({ length: 10 }, (_, i) => `  h${i + 1}: timed out`));
      expect(lines[12]).toBe("  and 2 more (each in the error's `notReached` under `--json`)");
      expect(lines).toHaveLength(13);
      expect(err.notReached.map((u) => u.host)).toEqual(Array.from({ length: 12 }, (_, i) => `h${i + 1}`));
    });
  });
});
