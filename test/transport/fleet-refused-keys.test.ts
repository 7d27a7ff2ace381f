import { HostKeyError } from '../../src/errors/index.js';
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
});
