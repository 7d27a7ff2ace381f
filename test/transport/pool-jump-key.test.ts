/**
 * createSshPool shares a jump connection only between hosts that log in to the jump host with the
 * same identity files: two nodes behind one bastion with different keys must not wait on (and fail
 * with) the first node's jump connection.
 */
import { jest } from '@jest/globals';
import { createSshPool } from '../../src/transport/pool.js';
import { JumpConnection } from '../../src/transport/jump-connection.js';
import type { JumpHostSpec } from '../../src/transport/ssh-host-spec.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import type { Transport } from '../../src/transport/transport.js';

describe('the ssh pool’s jump connections', () => {
  afterEach(() => jest.restoreAllMocks());

  it('one per set of identity files, shared by the hosts with the same one', async () => {
    const jumpsAsked: JumpHostSpec[] = [];
    jest.spyOn(JumpConnection, 'connect').mockImplementation(async (spec) => {
      jumpsAsked.push(spec as JumpHostSpec);
      return { close: async () => undefined } as unknown as JumpConnection;
    });
    jest.spyOn(SshTransport, 'connect').mockImplementation(async () => ({ close: async () => undefined }) as unknown as Transport as SshTransport);
    const pool = createSshPool({ acceptNewHostKeys: false } as Parameters<typeof createSshPool>[0]);
    const behind = (name: string, key: string) => ({ name, host: name, jumpHost: { host: 'bastion', user: 'ops', identityFile: [key] } });
    await Promise.all([pool.get(behind('n1', '/k/a')), pool.get(behind('n2', '/k/b')), pool.get(behind('n3', '/k/a'))]);
    expect(jumpsAsked.map((j) => j.identityFile)).toEqual([['/k/a'], ['/k/b']]);
    await pool.closeAll();
  });
});
