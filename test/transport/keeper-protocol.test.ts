import { GRIDOPS_VERSION } from '../../src/version.js';
import { ConnectionError, HostKeyError, InterruptedError, RemoteCommandError } from '../../src/errors/index.js';
import { CommandTimeoutError } from '../../src/transport/errors.js';
import { connectionKey, fileAnswersFromWire, fileAnswersToWire, fromWire, keeperDir, keeperSocket, parseKeeperRequest, requestIdOf, toWire } from '../../src/transport/keeper-protocol.js';

describe('the keeper protocol', () => {
  it('errors cross the socket as the same classes, with their message, hint and details', () => {
    const hostKey = fromWire(toWire(new HostKeyError('n1', 'WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!', 'verify it')));
    expect(hostKey).toBeInstanceOf(HostKeyError);
    expect(hostKey.message).toBe('n1: WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!');
    expect((hostKey as HostKeyError).hint).toBe('verify it');
    expect((hostKey as HostKeyError).host).toBe('n1');
    // What was refused, without the host: a refusal that lists several keys, or names hosts not reached, says it after the host.
    expect((hostKey as HostKeyError).refusal).toBe('WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!');
    const remote = fromWire(toWire(new RemoteCommandError('n2', 'write /etc/x', 3, 'disk full')));
    expect(remote).toBeInstanceOf(RemoteCommandError);
    expect(remote).toMatchObject({ host: 'n2', step: 'write /etc/x', exitStatus: 3, stderr: 'disk full' });
    const timeout = fromWire(toWire(new CommandTimeoutError('n3', 'sleep 30', 500, 'partial')));
    expect(timeout).toBeInstanceOf(CommandTimeoutError);
    expect(timeout).toMatchObject({ timeoutMs: 500, stderr: 'partial', message: new CommandTimeoutError('n3', 'sleep 30', 500, 'partial').message });
    expect(fromWire(toWire(new ConnectionError('n4', 'refused', 'check sshd')))).toBeInstanceOf(ConnectionError);
    expect(fromWire(toWire(new InterruptedError('stopped')))).toBeInstanceOf(InterruptedError);
    const plain = fromWire(toWire(new Error('odd')));
    expect(plain).toBeInstanceOf(Error);
    expect(plain.message).toBe('odd');
  });

  it('file answers cross the socket as they were: attributes, null for a missing path, bytes of any kind', () => {
    const attrs = { mode: 0o100644, uid: 0, gid: 0, size: 5 };
    const answers = new Map([
      ['/etc/text', { lstat: attrs, content: Buffer.from([0, 1, 2, 255, 10]) }],
      ['/etc/missing', { lstat: null, stat: null }],
      ['/etc/unreadable', { lstat: attrs, content: null }],
      ['/etc/dir', { lstat: { ...attrs, mode: 0o40755 } }],
    ]);
    const wire = JSON.parse(JSON.stringify(fileAnswersToWire(answers)));
    expect(fileAnswersFromWire(wire)).toEqual(answers);
    expect(fileAnswersToWire(undefined)).toBeNull();
    // A session that could not answer, and a keeper of an older gridops that answers nothing: the run reads with the shell.
    expect(fileAnswersFromWire(null)).toBeUndefined();
    expect(fileAnswersFromWire(undefined)).toBeUndefined();
  });

  const user = (file: string, text: string) => [{ file, text, readOnly: false }];
  it("a keeper's socket is named after the known_hosts path and content: another content, another keeper", () => {
    const a = keeperSocket('/k', user('/home/u/.ssh/known_hosts', 'host1 ssh-ed25519 AAAA\n'));
    expect(a).toMatch(/^\/k\/[0-9a-f]{32}\.sock$/);
    expect(keeperSocket('/k', user('/home/u/.ssh/known_hosts', 'host1 ssh-ed25519 AAAA\n'))).toBe(a);
    expect(keeperSocket('/k', user('/home/u/.ssh/known_hosts', 'host1 ssh-ed25519 BBBB\n'))).not.toBe(a);
    expect(keeperSocket('/k', user('/other/known_hosts', 'host1 ssh-ed25519 AAAA\n'))).not.toBe(a);
  });

  it("and after the build: a keeper another build started (which would not know a request's newer fields) is never reached", () => {
    const known = ['/k', user('/home/u/.ssh/known_hosts', 'host1 ssh-ed25519 AAAA\n')] as const;
    expect(keeperSocket(...known, 'build-a')).not.toBe(keeperSocket(...known, 'build-b'));
    expect(keeperSocket(...known, 'build-a')).toBe(keeperSocket(...known, 'build-a'));
    // Outside a built CLI, the package's version stands in for the build.
    expect(keeperSocket(...known)).toBe(keeperSocket(...known, GRIDOPS_VERSION));
    const key = Symbol.for('gridops.build');
    const saved = (globalThis as Record<symbol, unknown>)[key];
    (globalThis as Record<symbol, unknown>)[key] = 'abc|/opt/gridops/dist/cli/gridops.cjs';
    try {
      expect(keeperSocket(...known)).toBe(keeperSocket(...known, 'abc|/opt/gridops/dist/cli/gridops.cjs'));
    } finally {
      (globalThis as Record<symbol, unknown>)[key] = saved;
    }
  });

  it('where sockets live, and what makes two connections the same', () => {
    expect(keeperDir({ GRIDOPS_KEEPER_DIR: '/x' })).toBe('/x');
    expect(keeperDir({ XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/gridops-keeper');
    const base = { host: '10.0.0.1', port: 22, user: 'root', identityFiles: ['/k'] };
    expect(connectionKey(base)).toBe(connectionKey({ ...base, name: 'another name' }));
    expect(connectionKey(base)).not.toBe(connectionKey({ ...base, user: 'ops' }));
    expect(connectionKey(base)).not.toBe(connectionKey({ ...base, identityFiles: ['/other'] }));
    expect(connectionKey(base)).not.toBe(connectionKey({ ...base, jumpHost: 'bastion' }));
    // The connect timeout only bounds opening it: a kept connection serves a node whose timeout changed.
    expect(connectionKey(base)).toBe(connectionKey({ ...base, readyTimeoutMs: 2000 }));
  });

  it("a line is a request only in the protocol's shapes; anything else is refused, never thrown", () => {
    const exec = { id: 4, op: 'exec', conn: 'c', command: 'true', timeoutMs: 1000, stream: true };
    expect(parseKeeperRequest(JSON.stringify(exec))).toEqual(exec);
    expect(parseKeeperRequest(JSON.stringify({ id: 1, op: 'connect', spec: { host: 'h' }, readyTimeoutMs: 1, persistMs: 0 }))).toMatchObject({ op: 'connect' });
    expect(parseKeeperRequest('{"id":2,"op":"release","held":1}')).toEqual({ id: 2, op: 'release', held: 1 });
    for (const line of ['null', 'garbage', '[1]', '"exec"', '{"op":"exec","conn":"c","command":"x"}', '{"id":1,"op":"nope"}', '{"id":1,"op":"exec","conn":3,"command":"x"}', '{"id":1,"op":"exec","conn":"c"}', '{"id":1,"op":"exec","conn":"c","command":"x","stdin":7}', '{"id":1,"op":"connect","spec":null,"readyTimeoutMs":1,"persistMs":0}', '{"id":1,"op":"connect","spec":{},"readyTimeoutMs":1,"persistMs":0}', '{"id":1,"op":"queryFiles","conn":"c","queries":{},"timeoutMs":1}', '{"id":1,"op":"toString"}']) {
      expect(parseKeeperRequest(line)).toBeUndefined();
    }
  });

  it('an upload carries exactly one of its bytes and a local path', () => {
    expect(parseKeeperRequest('{"id":1,"op":"upload","conn":"c","path":"/p","localPath":"/images/a.img","mode":384}')).toMatchObject({ localPath: '/images/a.img' });
    expect(parseKeeperRequest('{"id":1,"op":"upload","conn":"c","path":"/p","content":"eA=="}')).toMatchObject({ content: 'eA==' });
    for (const line of ['{"id":1,"op":"upload","conn":"c","path":"/p"}', '{"id":1,"op":"upload","conn":"c","path":"/p","content":"eA==","localPath":"/a"}', '{"id":1,"op":"upload","conn":"c","path":"/p","localPath":7}']) {
      expect(parseKeeperRequest(line)).toBeUndefined();
    }
  });

  it("an over-long line's id is read from its start, where the client writes it", () => {
    expect(requestIdOf('{"id":42,"op":"exec","conn":"c","stdin":"AAAA')).toBe(42);
    expect(requestIdOf('{"op":"exec","id":42')).toBeUndefined();
    expect(requestIdOf('garbage')).toBeUndefined();
  });
});
