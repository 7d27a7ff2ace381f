/**
 * Hermetic stand-ins for what a connection meets, for the transport's unit tests: TCP listeners on
 * loopback addresses that accept and never answer (a host that hangs in its handshake), an
 * in-process ssh2 server, an ssh-agent that holds no key, and a connection keeper that only records
 * what it is asked. No sshd, no network beyond loopback.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { checkTopologyText } from '../../src/topology/load.js';
import { allNodes, type Node } from '../../src/topology/model.js';
import { DEFAULT_GLOBAL_KNOWN_HOSTS } from '../../src/transport/global-known-hosts.js';
import { keeperDir, keeperSocket, type KeeperRequest } from '../../src/transport/keeper-protocol.js';
import { readKnownHostsTexts } from '../../src/transport/known-hosts.js';
import { ed25519Pair } from '../support/ssh2-ed25519.js';

const ssh2 = createRequire(import.meta.url)('ssh2') as typeof import('ssh2');

/** Writes a new ed25519 private key (OpenSSH format, mode 0600), encrypted when a passphrase is given. */
export function writeKey(file: string, passphrase?: string): { file: string; publicBlob: Buffer } {
  const pair = passphrase ? ed25519Pair({ passphrase, cipher: 'aes256-ctr', rounds: 2 }) : ed25519Pair();
  writeFileSync(file, pair.private);
  chmodSync(file, 0o600);
  return { file, publicBlob: Buffer.from(pair.public.split(' ')[1]!, 'base64') };
}

/** The text of a one-sub-grid topology (grid `name`, region r1, sub-grid s1); `nodes` are the YAML flow mappings of its nodes. */
export function oneSubgridTopology(defaultsSsh: string, nodes: string[], name = 'g'): string {
  return `apiVersion: gridops/v1
kind: Grid
metadata: { name: ${name} }
defaults:
  ssh: { ${defaultsSsh} }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
${nodes.map((n) => `          - ${n}`).join('\n')}
`;
}

/** Nodes of a one-sub-grid topology (oneSubgridTopology). */
export function nodesOf(defaultsSsh: string, nodes: string[]): Node[] {
  const { grid, problems } = checkTopologyText('t.yaml', oneSubgridTopology(defaultsSsh, nodes));
  if (!grid) throw new Error(problems.map((p) => p.message).join('\n'));
  return allNodes(grid);
}

/** One accepted TCP connection: when it came, and when the client closed it (undefined while open). */
export interface Accepted {
  socket: Socket;
  at: number;
  closedAt?: number;
}

/** Listeners on one port of several loopback addresses that accept and say nothing. */
export class SilentHosts {
  readonly seen = new Map<string, Accepted[]>();
  private readonly servers: Server[] = [];
  port = 0;

  static async start(addresses: string[]): Promise<SilentHosts> {
    const hosts = new SilentHosts();
    for (const address of addresses) {
      hosts.seen.set(address, []);
      const server = createServer((socket) => {
        const a: Accepted = { socket, at: Date.now() };
        socket.on('error', () => undefined);
        socket.on('close', () => (a.closedAt ??= Date.now()));
        socket.resume();
        hosts.seen.get(address)!.push(a);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(hosts.port, address, () => resolve());
      });
      hosts.port = (server.address() as { port: number }).port;
      hosts.servers.push(server);
    }
    return hosts;
  }

  /** Drops every connection from this side (a run waiting on one then fails at once). */
  dropAll(): void {
    for (const list of this.seen.values()) for (const a of list) a.socket.destroy();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Polls until `fn` holds or `ms` pass; returns whether it held. */
export async function eventually(fn: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (fn()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return fn();
}

/**
 * An ssh2 server on 127.0.0.1: publickey logins are accepted when `acceptKey` says so (all are
 * refused by default); channels to other hosts (a jump host's direct-tcpip) are never answered.
 */
export async function startSsh2Server(acceptKey: (blob: Buffer) => boolean = () => false): Promise<{ port: number; stop: () => Promise<void> }> {
  const hostKey = ed25519Pair().private;
  const clients = new Set<import('ssh2').Connection>();
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    clients.add(client);
    client.on('error', () => undefined);
    client.on('close', () => clients.delete(client));
    client.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && acceptKey(ctx.key.data)) ctx.accept();
      else ctx.reject(['publickey']);
    });
    // A jump host whose TCP connect to the target hangs: the channel open gets no answer.
    client.on('tcpip', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    stop: async () => {
      for (const c of clients) c.end();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An ssh-agent on a unix socket that holds no key: it answers every identities request with none. */
export async function startEmptyAgent(path: string): Promise<{ asked: () => number; stop: () => Promise<void> }> {
  let asked = 0;
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const type = buf[4];
        buf = buf.subarray(4 + buf.readUInt32BE(0));
        // SSH2_AGENTC_REQUEST_IDENTITIES (11) -> SSH2_AGENT_IDENTITIES_ANSWER (12) with 0 keys; else SSH_AGENT_FAILURE (5).
        if (type === 11) {
          asked++;
          socket.write(Buffer.from([0, 0, 0, 5, 12, 0, 0, 0, 0]));
        } else socket.write(Buffer.from([0, 0, 0, 1, 5]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, () => resolve()));
  return { asked: () => asked, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * A connection keeper for `knownHostsFile` holding `content` and the global files `readOnly` as they
 * are on this machine (at the socket a run looks for under $GRIDOPS_KEEPER_DIR) that records each
 * connect request and refuses it, so the run reports its hosts unreachable; with `answer` false it
 * never answers one (a keeper still connecting: a handshake, its retries).
 */
export async function startRecordingKeeper(knownHostsFile: string, content: string, answer = true, readOnly: readonly string[] = DEFAULT_GLOBAL_KNOWN_HOSTS): Promise<{ connects: Array<Extract<KeeperRequest, { op: 'connect' }>>; stop: () => Promise<void> }> {
  const connects: Array<Extract<KeeperRequest, { op: 'connect' }>> = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      buffer += data;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const req = JSON.parse(buffer.slice(0, nl)) as KeeperRequest;
        buffer = buffer.slice(nl + 1);
        if (req.op !== 'connect') continue;
        connects.push(req);
        if (!answer) continue;
        const host = req.spec.name ?? req.spec.host;
        socket.write(`${JSON.stringify({ id: req.id, ok: false, error: { kind: 'ConnectionError', message: `${host}: refused by the test keeper`, host } })}\n`);
      }
    });
  });
  const path = keeperSocket(keeperDir(), [{ file: knownHostsFile, text: content, readOnly: false }, ...readKnownHostsTexts({ writable: knownHostsFile, readOnly }).slice(1)]);
  await new Promise<void>((resolve) => server.listen(path, () => resolve()));
  return {
    connects,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
