import { EventEmitter } from 'node:events';
import { resetHosts } from '../../bench/lib/reset-hosts.js';

/** A child process that ends as told, on the next tick. */
function fakeSpawn(outcome: (address: string) => { code: number; stderr?: string } | { error: Error }) {
  const calls: Array<{ cmd: string; argv: string[]; env: NodeJS.ProcessEnv | undefined }> = [];
  const spawn = (cmd: string, argv: string[], options?: { env?: NodeJS.ProcessEnv }) => {
    calls.push({ cmd, argv, env: options?.env });
    const child = Object.assign(new EventEmitter(), { stderr: new EventEmitter() });
    const result = outcome(argv[argv.length - 1]!);
    setImmediate(() => {
      if ('error' in result) {
        child.emit('error', result.error);
        return;
      }
      if (result.stderr) child.stderr.emit('data', Buffer.from(result.stderr));
      child.emit('close', result.code, null);
    });
    return child;
  };
  return { spawn, calls };
}

describe('resetHosts', () => {
  const options = (spawn: ReturnType<typeof fakeSpawn>['spawn']) => ({ spawn, concurrency: 2, sshArgv: (address: string) => [`root@${address}`, address], env: { PATH: '/usr/bin' } });

  it('resolves when every host ran the reset, in batches of `concurrency`, with the env given', async () => {
    const fake = fakeSpawn(() => ({ code: 0 }));
    await expect(resetHosts(['10.0.0.1', '10.0.0.2', '10.0.0.3'], options(fake.spawn))).resolves.toBeUndefined();
    expect(fake.calls.map((c) => [c.cmd, c.argv[0], c.env])).toEqual([
      ['ssh', 'root@10.0.0.1', { PATH: '/usr/bin' }],
      ['ssh', 'root@10.0.0.2', { PATH: '/usr/bin' }],
      ['ssh', 'root@10.0.0.3', { PATH: '/usr/bin' }],
    ]);
  });

  it('rejects naming the host whose ssh exited 255, with its stderr', async () => {
    const fake = fakeSpawn((a) => (a === '10.0.0.2' ? { code: 255, stderr: 'ssh: connect to host 10.0.0.2 port 22: Connection refused\n' } : { code: 0 }));
    await expect(resetHosts(['10.0.0.1', '10.0.0.2'], options(fake.spawn))).rejects.toThrow('resetting 1 host failed, so the next first run would find work already done: 10.0.0.2: exit 255: ssh: connect to host 10.0.0.2 port 22: Connection refused');
  });

  it('rejects when ssh cannot be started at all', async () => {
    const fake = fakeSpawn(() => ({ error: new Error('spawn ssh ENOENT') }));
    await expect(resetHosts(['10.0.0.1'], options(fake.spawn))).rejects.toThrow('10.0.0.1: spawn ssh ENOENT');
  });

  it('does not start the next batch after a failed one', async () => {
    const fake = fakeSpawn((a) => (a === '10.0.0.1' ? { code: 1 } : { code: 0 }));
    await expect(resetHosts(['10.0.0.1', '10.0.0.2', '10.0.0.3'], options(fake.spawn))).rejects.toThrow('10.0.0.1: exit 1');
    expect(fake.calls.map((c) => c.argv[1])).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});
