/**
 * An IdentityFile that an OpenSSH configuration file names (the user's ~/.ssh/config or the
 * system-wide ssh_config) and that is not there does not stop a run: ssh skips it ("no such
 * identity") and logs in with the other keys, so gridops skips it too, with one warning naming the
 * line that wrote it and the hosts. A key that is there but cannot be read still stops the run,
 * naming that line, never "~/.ssh/config" for a line of another file. An ssh2 server on loopback is
 * the host.
 */
import { connect, createServer } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError } from '../../src/errors/index.js';
import { Fleet, type ConnectOptions } from '../../src/transport/fleet.js';
import { nodesOf, startSsh2Server, writeKey } from './connect-support.js';

describe('an IdentityFile of an ssh_config file that is not there', () => {
  let dir: string;
  let home: string;
  let saved: { home: string | undefined; agent: string | undefined };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-fleet-missing-id-'));
    saved = { home: process.env.HOME, agent: process.env.SSH_AUTH_SOCK };
    home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    // A home of the test's own, where it reaches the code that reads it.
    process.env.HOME = home;
    // Only the files the test writes log in: no agent's keys.
    delete process.env.SSH_AUTH_SOCK;
  });
  afterEach(() => {
    for (const [name, value] of [['HOME', saved.home], ['SSH_AUTH_SOCK', saved.agent]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** One run reading n1 and n2 (two loopback addresses, the second forwarded to the server) on a server that takes `accepted`'s key, with `options` naming the ssh_config files. */
  async function run(accepted: { publicBlob: Buffer }, options: Pick<ConnectOptions, 'sshConfigFile' | 'systemSshConfigFile'>): Promise<{ results: string[]; unreachable: string[]; said: string[] }> {
    const server = await startSsh2Server((blob) => blob.equals(accepted.publicBlob));
    // The server listens on 127.0.0.1 only; a node address is used once, so n2's is forwarded to it.
    const forward = createServer((socket) => {
      const upstream = connect(server.port, '127.0.0.1');
      for (const s of [socket, upstream]) s.on('error', () => undefined);
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => forward.listen(server.port, '127.0.0.2', () => resolve()));
    const said: string[] = [];
    try {
      const fleet = new Fleet();
      const nodes = nodesOf(`port: ${server.port}, knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 127.0.0.1 }', '{ name: n2, address: 127.0.0.2 }']);
      const { results, unreachable } = await fleet
        .readEach(nodes, { concurrency: 2, acceptNewHostKeys: true, warn: (m) => said.push(`warning: ${m}`), ...options }, async (host) => host.node.name)
        .finally(() => fleet.close());
      return { results: results.sort(), unreachable: unreachable.map((u) => u.error.message), said };
    } finally {
      await new Promise((resolve) => forward.close(resolve));
      await server.stop();
    }
  }

  const systemFile = (lines: string[]) => {
    const file = join(dir, 'ssh_config');
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o644 });
    return file;
  };

  it("`IdentityFile ~/.ssh/id_corp` of the system file alone, a key this user has not: the run stops before any dial naming the line, as ssh would offer the agent's keys only, never the default ones", async () => {
    const key = writeKey(join(dir, 'id_unused'));
    // A default key gridops would have offered had it dropped the missing one: ssh would not.
    writeKey(join(home, '.ssh', 'id_ed25519'));
    const system = systemFile(['Host *', '    IdentityFile ~/.ssh/id_corp']);
    const err = await run(key, { systemSshConfigFile: system }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as Error).message).toBe(`cannot read the identity file ${join(homedir(), '.ssh', 'id_corp')} (ENOENT), named by IdentityFile at ${system}:2 for n1 and n2; no host was contacted`);
    expect((err as InputFileError).hint).toContain("ssh would go on with the agent's keys only");
    expect((err as InputFileError).hint).not.toContain('~/.ssh/config');
  });

  it("a ProxyJump bastion's only key, named by the system file and not there, stops the run before any dial, naming its line", async () => {
    const key = writeKey(join(dir, 'id_there'));
    const gone = join(dir, 'id_bastion');
    // The bastion (nothing listens there: a dial would fail on connect, not on the key) has a key of its own.
    const system = systemFile(['Host bastion', '    HostName 127.0.0.9', '    Port 9', `    IdentityFile ${gone}`, 'Host 127.0.0.1 127.0.0.2', '    ProxyJump bastion', `    IdentityFile ${key.file}`]);
    const err = await run(key, { systemSshConfigFile: system }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as Error).message).toBe(`cannot read the identity file ${gone} (ENOENT), named by IdentityFile at ${system}:4 for n1 and n2; no host was contacted`);
  });

  it("the hosts' keys, one missing, reach a ProxyJump bastion that names none of its own: the missing one is skipped for the bastion too, said once for that line", async () => {
    const key = writeKey(join(dir, 'id_there'));
    const gone = join(dir, 'id_corp');
    // Nothing listens at the bastion: each host fails on that dial, not on the skipped key.
    const system = systemFile(['Host 127.0.0.1 127.0.0.2', '    ProxyJump 127.0.0.9:9', `    IdentityFile ${gone}`, `    IdentityFile ${key.file}`]);
    const { results, unreachable, said } = await run(key, { systemSshConfigFile: system });
    expect(results).toEqual([]);
    expect(unreachable).toHaveLength(2);
    expect(unreachable.join('\n')).not.toContain('identity file');
    expect(said.filter((m) => m.includes('id_corp'))).toEqual([
      `warning: ${system}:3: IdentityFile ${gone} is not there (ENOENT); skipped for n1, n1's jump host 127.0.0.9, n2 and n2's jump host 127.0.0.9, as ssh skips it; create it or remove that line to silence this`,
    ]);
  });

  it("named by the system file beside a key that is there: skipped with one warning naming its line, and the other key logs in", async () => {
    const key = writeKey(join(dir, 'id_there'));
    const system = systemFile(['Host *', `    IdentityFile ${join(dir, 'id_corp')}`, `    IdentityFile ${key.file}`]);
    const { results, unreachable, said } = await run(key, { systemSshConfigFile: system });
    expect({ results, unreachable }).toEqual({ results: ['n1', 'n2'], unreachable: [] });
    expect(said.filter((m) => m.includes('id_corp'))).toEqual([
      `warning: ${system}:2: IdentityFile ${join(dir, 'id_corp')} is not there (ENOENT); skipped for n1 and n2, as ssh skips it; create it or remove that line to silence this`,
    ]);
  });

  it("named by the user's own file beside a key that is there: skipped likewise (ssh says \"no such identity\" and goes on)", async () => {
    const key = writeKey(join(dir, 'id_there'));
    // Read as ssh -F reads it: as the user's file (~/.ssh/config is read the same way).
    const own = join(home, '.ssh', 'config');
    writeFileSync(own, ['Host *', `    IdentityFile ${join(dir, 'id_gone')}`, `    IdentityFile ${key.file}`, ''].join('\n'), { mode: 0o600 });
    const { results, unreachable, said } = await run(key, { sshConfigFile: own });
    expect({ results, unreachable }).toEqual({ results: ['n1', 'n2'], unreachable: [] });
    expect(said.filter((m) => m.includes('id_gone'))).toEqual([
      `warning: ${own}:2: IdentityFile ${join(dir, 'id_gone')} is not there (ENOENT); skipped for n1 and n2, as ssh skips it; create it or remove that line to silence this`,
    ]);
  });

  it('a key of the system file that is there but cannot be read stops the run, naming the line of the system file, not ~/.ssh/config', async () => {
    const key = writeKey(join(dir, 'id_unused'));
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const system = systemFile(['Host *', `    IdentityFile ${folder}`]);
    const err = await run(key, { systemSshConfigFile: system }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as Error).message).toBe(`cannot read the identity file ${folder} (EISDIR: a directory, not a key), named by IdentityFile at ${system}:2 for n1 and n2; no host was contacted`);
    expect((err as InputFileError).hint).not.toContain('~/.ssh/config');
  });
});
