/**
 * An identity file the topology names that is not there stops the run before any connection:
 * one error naming the file and the hosts that name it, not a connect and a failure per host.
 * A TCP server on loopback counts the connections the run opened.
 */
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError } from '../../src/errors/index.js';
import { Fleet } from '../../src/transport/fleet.js';
import { checkIdentityFiles } from '../../src/transport/identity-files-check.js';
import { nodesOf, writeKey } from './connect-support.js';

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

  it('files that are there pass; several missing ones are all named', () => {
    const there = writeKey(join(dir, 'id_there')).file;
    expect(() => checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [there] }, { name: 'b', host: 'h' }])).not.toThrow();
    expect(() => checkIdentityFiles([{ name: 'a', host: 'h', identityFiles: [join(dir, 'x')] }, { name: 'b', host: 'h', identityFiles: [there, join(dir, 'y')] }])).toThrow(
      `cannot read 2 identity files ${join(dir, 'x')} (ENOENT), named for a; ${join(dir, 'y')} (ENOENT), named for b; no host was contacted`,
    );
  });
});
