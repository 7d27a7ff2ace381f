/**
 * An identity file the topology names that is not there stops the run before any connection:
 * one error naming the file and the hosts that name it, not a connect and a failure per host.
 * A TCP server on loopback counts the connections the run opened.
 */
import { createServer, type Server } from 'node:net';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, InputFileError } from '../../src/errors/index.js';
import { Fleet } from '../../src/transport/fleet.js';
import { checkIdentityFiles } from '../../src/transport/identity-files-check.js';
import { checkTopologyText } from '../../src/topology/load.js';
import { allNodes } from '../../src/topology/model.js';
import { nodesOf, oneSubgridTopology, startRecordingKeeper, startSsh2Server, writeKey } from './connect-support.js';

describe('identity files checked before any connection', () => {
  let dir: string;
  const servers: Server[] = [];
  let port = 0;
  let accepted = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-idcheck-'));
    writeFileSync(join(dir, 'known_hosts'), '');
    // One listener per node address (127.0.0.1 to .5, all loopback), on one port.
    for (let i = 1; i <= 5; i++) {
      const server = createServer((socket) => {
        accepted++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(port, `127.0.0.${i}`, () => resolve()));
      port = (server.address() as { port: number }).port;
      servers.push(server);
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a missing ssh.identityFile: one error naming the file and its hosts, and no connection', async () => {
    const missing = join(dir, 'no-such-key');
    const nodes = nodesOf(`port: ${port}, knownHosts: ${join(dir, 'known_hosts')}, identityFile: ${missing}`, [1, 2, 3, 4, 5].map((i) => `{ name: n${i}, address: 127.0.0.${i} }`));
    const fleet = new Fleet();
    const err = await fleet.readEach(nodes, { concurrency: 5, acceptNewHostKeys: false }, async () => 'read').catch((e: unknown) => e);
    await fleet.close();
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as Error).message).toBe(`cannot read the identity file ${missing} (ENOENT), named by ssh.identityFile of defaults in t.yaml for n1, n2, n3 and 2 more hosts; no host was contacted`);
    expect((err as InputFileError).hint).toMatch(/ssh\.identityFile in the topology/);
    await new Promise((r) => setTimeout(r, 100));
    expect(accepted).toBe(0);
  });

  describe('a node reached from the state only (being decommissioned) whose identity file is gone', () => {
    // n1 is in the topology and logs in to an ssh2 server; n2, recorded only, names a key that is not there.
    const nodesWithGoneKey = (sshPort: number, knownHosts = join(dir, 'known_hosts')) =>
      nodesOf(`port: ${port}, knownHosts: ${knownHosts}`, [
        `{ name: n1, address: 127.0.0.1, ssh: { port: ${sshPort}, identityFile: ${join(dir, 'id_n1')} } }`,
        `{ name: n2, address: 127.0.0.2, ssh: { identityFile: ${join(dir, 'gone-with-n2')} } }`,
      ]);
    const goneKey = () => `n2: cannot read its identity file ${join(dir, 'gone-with-n2')} (ENOENT), named by the state's record of its last apply; not contacted`;

    // (A known_hosts file of its own: the keeper's test below finds its keeper by that file's content.)
    it('is that node alone not reached, and not contacted; the nodes of the topology connect', async () => {
      const key = writeKey(join(dir, 'id_n1'));
      const server = await startSsh2Server((blob) => blob.equals(key.publicBlob));
      accepted = 0;
      try {
        const fleet = new Fleet();
        const { results, unreachable } = await fleet.readEach(nodesWithGoneKey(server.port, join(dir, 'kh-accepted')), { concurrency: 5, acceptNewHostKeys: true, recordedOnly: new Set(['n2']) }, async (host) => host.node.name);
        await fleet.close();
        expect(results).toEqual(['n1']);
        expect(unreachable.map((u) => [u.node.name, u.error.message])).toEqual([['n2', goneKey()]]);
        expect((unreachable[0]!.error as ConnectionError).hint).toBe(`put the key back at ${join(dir, 'gone-with-n2')} to reach it`);
        await new Promise((r) => setTimeout(r, 100));
        expect(accepted).toBe(0);
      } finally {
        await server.stop();
      }
    });

    it('through the keeper (--persist) too: the keeper is not asked for it', async () => {
      writeKey(join(dir, 'id_n1'));
      const keeperDir = mkdtempSync(join(tmpdir(), 'gridops-keeper-'));
      const saved = process.env.GRIDOPS_KEEPER_DIR;
      process.env.GRIDOPS_KEEPER_DIR = keeperDir;
      const keeper = await startRecordingKeeper(join(dir, 'known_hosts'), '');
      try {
        const fleet = new Fleet();
        const { unreachable } = await fleet.readEach(nodesWithGoneKey(port), { concurrency: 5, acceptNewHostKeys: false, persistMs: 60_000, recordedOnly: new Set(['n2']) }, async () => 'read');
        await fleet.close();
        expect(keeper.connects.map((c) => c.spec.name)).toEqual(['n1']);
        expect(unreachable.find((u) => u.node.name === 'n2')!.error.message).toBe(goneKey());
      } finally {
        await keeper.stop();
        if (saved === undefined) delete process.env.GRIDOPS_KEEPER_DIR;
        else process.env.GRIDOPS_KEEPER_DIR = saved;
        rmSync(keeperDir, { recursive: true, force: true });
      }
    });

    it('while the same file named for a node of the topology still stops the run', async () => {
      writeKey(join(dir, 'id_n1'));
      const fleet = new Fleet();
      const err = await fleet.readEach(nodesWithGoneKey(port), { concurrency: 5, acceptNewHostKeys: false }, async () => 'read').catch((e: unknown) => e);
      await fleet.close();
      expect(err).toBeInstanceOf(InputFileError);
      expect((err as Error).message).toContain(`${join(dir, 'gone-with-n2')} (ENOENT)`);
    });
  });

  it('an encrypted identity file with no ssh-agent: one error before any connection, naming the file and the ssh-add to run', async () => {
    const encrypted = writeKey(join(dir, 'id_encrypted'), 'secret').file;
    const nodes = nodesOf(`port: ${port}, knownHosts: ${join(dir, 'known_hosts')}, identityFile: ${encrypted}`, [1, 2].map((i) => `{ name: n${i}, address: 127.0.0.${i} }`));
    const saved = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    accepted = 0;
    try {
      const fleet = new Fleet();
      const err = await fleet.readEach(nodes, { concurrency: 5, acceptNewHostKeys: false }, async () => 'read').catch((e: unknown) => e);
      await fleet.close();
      expect(err).toBeInstanceOf(InputFileError);
      expect((err as Error).message).toBe(`the identity file ${encrypted} is encrypted and no ssh-agent is running (SSH_AUTH_SOCK is not set), named by ssh.identityFile of defaults in t.yaml for n1 and n2; gridops cannot ask for a passphrase; no host was contacted`);
      expect((err as InputFileError).hint).toBe(`start ssh-agent and load the key (\`eval "$(ssh-agent)"; ssh-add ${encrypted}\`) so that SSH_AUTH_SOCK is set when gridops runs; or use an unencrypted key (ssh.identityFile)`);
      await new Promise((r) => setTimeout(r, 100));
      expect(accepted).toBe(0);
    } finally {
      if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
    }
  });

  // The jump connection logs in before any node behind it: with only passphrase-protected keys of
  // its own and no agent it could not, and every node behind it would fail on its own dial.
  it("a jump host whose own keys are all encrypted, with no ssh-agent: the same refusal before any connection, naming the jump host and its files", async () => {
    const plain = writeKey(join(dir, 'id_node_plain')).file;
    const jumpKey = writeKey(join(dir, 'id_jump_encrypted'), 'secret').file;
    const sshConfigFile = join(dir, 'ssh_config_jump');
    writeFileSync(sshConfigFile, ['Host 127.0.0.*', '  ProxyJump bastion', 'Host bastion', '  HostName 127.0.0.5', `  Port ${port}`, `  IdentityFile ${jumpKey}`].join('\n') + '\n', { mode: 0o600 });
    const nodes = nodesOf(`port: ${port}, knownHosts: ${join(dir, 'known_hosts')}, identityFile: ${plain}`, [1, 2].map((i) => `{ name: n${i}, address: 127.0.0.${i} }`));
    const saved = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    accepted = 0;
    try {
      const fleet = new Fleet();
      const err = await fleet.readEach(nodes, { concurrency: 5, acceptNewHostKeys: false, sshConfigFile }, async () => 'read').catch((e: unknown) => e);
      await fleet.close();
      expect(err).toBeInstanceOf(InputFileError);
      expect((err as Error).message).toBe(`the identity file ${jumpKey} is encrypted and no ssh-agent is running (SSH_AUTH_SOCK is not set), named by IdentityFile at ${sshConfigFile}:6 for the jump host 127.0.0.5 of n1 and n2; gridops cannot ask for a passphrase; no host was contacted`);
      expect((err as InputFileError).hint).toContain(`ssh-add ${jumpKey}`);
      await new Promise((r) => setTimeout(r, 100));
      expect(accepted).toBe(0);
    } finally {
      if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
    }
  });

  it("a jump host reached with the node's own encrypted key is named once, as the node's", () => {
    const encrypted = writeKey(join(dir, 'id_encrypted3'), 'secret').file;
    expect(() => checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [encrypted], jumpHost: { host: 'b', identityFile: [encrypted] } }], () => undefined, undefined)).toThrow(
      `the identity file ${encrypted} is encrypted and no ssh-agent is running (SSH_AUTH_SOCK is not set), named for a; gridops cannot ask for a passphrase; no host was contacted`,
    );
  });

  it('an encrypted identity file is fine with an ssh-agent (which may hold it), or beside a key gridops can use', () => {
    const encrypted = writeKey(join(dir, 'id_encrypted2'), 'secret').file;
    const plain = writeKey(join(dir, 'id_plain')).file;
    expect(() => checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [encrypted] }], () => undefined, '/run/agent.sock')).not.toThrow();
    expect(() => checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [encrypted, plain] }], () => undefined, undefined)).not.toThrow();
    expect(() => checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [encrypted] }], () => undefined, undefined)).toThrow(InputFileError);
  });

  it('an identity file that is a directory stops the run as a missing one does', () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    expect(() => checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [folder] }])).toThrow(`cannot read the identity file ${folder} (EISDIR: a directory, not a key), named for a; no host was contacted`);
  });

  describe('a public key (the .pub of a pair) named as the identity file, with no ssh-agent', () => {
    // A run's pre-flight reads SSH_AUTH_SOCK: these runs have none, whatever the shell that started jest has.
    let savedAgent: string | undefined;
    beforeAll(() => {
      savedAgent = process.env.SSH_AUTH_SOCK;
      delete process.env.SSH_AUTH_SOCK;
    });
    afterAll(() => {
      if (savedAgent !== undefined) process.env.SSH_AUTH_SOCK = savedAgent;
    });
    const pair = () => {
      const key = join(dir, 'id_pair');
      if (!existsSync(key)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
      return key;
    };

    it('is refused before any connection, naming the ssh.identityFile line of the topology (file:line:column) and the private key beside it', async () => {
      const key = pair();
      const topology = join(dir, 'grid.yaml');
      writeFileSync(topology, oneSubgridTopology(`port: ${port}, knownHosts: ${join(dir, 'known_hosts')}, identityFile: ./id_pair.pub`, ['{ name: n1, address: 127.0.0.1 }', '{ name: n2, address: 127.0.0.2 }']));
      const { grid } = checkTopologyText(topology, readFileSync(topology, 'utf8'));
      accepted = 0;
      const fleet = new Fleet();
      const err = await fleet.readEach(allNodes(grid!), { concurrency: 5, acceptNewHostKeys: false }, async () => 'read').catch((e: unknown) => e);
      await fleet.close();
      expect(err).toBeInstanceOf(InputFileError);
      // `  ssh: { port: …, identityFile: ./id_pair.pub }` on line 5: the value's column.
      const column = readFileSync(topology, 'utf8').split('\n')[4]!.indexOf('./id_pair.pub') + 1;
      expect((err as Error).message).toBe(`the identity file ${key}.pub is a public key, not a private key, named by ssh.identityFile of defaults at ${topology}:5:${column} for n1 and n2; gridops signs with the private key; no host was contacted`);
      expect((err as InputFileError).hint).toBe(`point ssh.identityFile (or the IdentityFile line named) at the private key, not its .pub: ${key}; or, where the private key is in ssh-agent only, run with SSH_AUTH_SOCK set: the .pub then selects the agent's key`);
      await new Promise((r) => setTimeout(r, 100));
      expect(accepted).toBe(0);
    });

    it('named by an IdentityFile line of an ssh_config file: that FILE:LINE is named', async () => {
      const key = pair();
      const sshConfigFile = join(dir, 'ssh_config_pub');
      writeFileSync(sshConfigFile, ['Host 127.0.0.*', `  IdentityFile ${key}.pub`].join('\n') + '\n', { mode: 0o600 });
      const nodes = nodesOf(`port: ${port}, knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 127.0.0.1 }']);
      accepted = 0;
      const fleet = new Fleet();
      const err = await fleet.readEach(nodes, { concurrency: 5, acceptNewHostKeys: false, sshConfigFile }, async () => 'read').catch((e: unknown) => e);
      await fleet.close();
      expect(err).toBeInstanceOf(InputFileError);
      expect((err as Error).message).toBe(`the identity file ${key}.pub is a public key, not a private key, named by IdentityFile at ${sshConfigFile}:2 for n1; gridops signs with the private key; no host was contacted`);
      expect(accepted).toBe(0);
    });

    it('by its content, not its name: a private key named .pub passes; a public key with no private one beside it gets no path to follow', () => {
      const key = pair();
      const privateNamedPub = join(dir, 'odd.pub');
      copyFileSync(key, privateNamedPub);
      chmodSync(privateNamedPub, 0o600);
      expect(() => checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [privateNamedPub] }], () => undefined, undefined)).not.toThrow();
      const lonePub = join(dir, 'lone_key');
      copyFileSync(`${key}.pub`, lonePub);
      let err: unknown;
      try {
        checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [lonePub] }], () => undefined, undefined);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputFileError);
      expect((err as Error).message).toBe(`the identity file ${lonePub} is a public key, not a private key, named for a; gridops signs with the private key; no host was contacted`);
      expect((err as InputFileError).hint).toBe("point ssh.identityFile (or the IdentityFile line named) at the private key of that pair, not its .pub; or, where the private key is in ssh-agent only, run with SSH_AUTH_SOCK set: the .pub then selects the agent's key");
    });
  });

  it("a public key with an ssh-agent is not refused: as for OpenSSH, it selects the agent's copy of its private key (a key held by 1Password or a hardware token)", () => {
    const pub = join(dir, 'id_agent_only.pub');
    // The private key is not on disk: only the agent holds it.
    const { file, publicBlob } = writeKey(join(dir, 'id_agent_only'));
    writeFileSync(pub, `ssh-ed25519 ${publicBlob.toString('base64')} me@here\n`);
    rmSync(file);
    const specs = [{ name: 'a', host: 'h', identityFiles: [pub] }];
    expect(() => checkIdentityFiles(specs, () => undefined, '/run/agent.sock')).not.toThrow();
    expect(() => checkIdentityFiles(specs, () => undefined, undefined)).toThrow(`the identity file ${pub} is a public key, not a private key, named for a; gridops signs with the private key; no host was contacted`);
  });

  it('files that are there pass; several missing ones are all named', () => {
    const there = writeKey(join(dir, 'id_there')).file;
    expect(() => checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [there] }, { name: 'b', host: 'h' }])).not.toThrow();
    expect(() => checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [join(dir, 'x')] }, { name: 'b', host: 'h', identityFiles: [there, join(dir, 'y')] }])).toThrow(
      `cannot read 2 identity files ${join(dir, 'x')} (ENOENT), named for a; ${join(dir, 'y')} (ENOENT), named for b; no host was contacted`,
    );
  });
});
