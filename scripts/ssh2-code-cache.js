// Writes the V8 code cache of ssh2's bundle (dist/cli/ssh2-client.cjs, scripts/bundle-cli.js says why
// it is one file) after a real connection: gridops' own transport (dist/transport) connects on
// loopback to an SSH server of ssh2's own in this process, reads files without a shell as a plan
// does, runs a command as an apply does, and closes. The cache then holds the functions a run's
// connections use (the key exchange, the host key check, public-key authentication, channels, SFTP),
// where a cache written at the bundle's load alone would hold little more than its top level.
// The server side comes from node_modules' ssh2, another copy of its code: none of it is in the cache.
//
// The file is loaded and its cache written through bin/require-cached.js, as bin/run.js loads it, so
// the cache is made from the very text bin/run.js checks it against. A failure leaves the build
// without this cache, with a warning: the CLI then compiles ssh2's bundle at its first connection,
// as without a cache (test/cli/ssh2-code-cache.test.ts checks that the build wrote one).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Its import puts the loader on globalThis, as for bin/run.js: dist/transport/ssh2-client.js then loads ssh2 from the bundle.
import { writeCodeCache } from '../bin/require-cached.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bundle = `${root}dist/cli/ssh2-client.cjs`;
rmSync(`${bundle}.v8cache`, { force: true });
const { generateEd25519 } = await import(`${root}dist/lab/keys.js`);
const { formatKnownHostsLine, KnownHosts } = await import(`${root}dist/transport/known-hosts.js`);
const { SshTransport } = await import(`${root}dist/transport/ssh-transport.js`);
const { Server, utils } = createRequire(import.meta.url)('ssh2');
const { STATUS_CODE } = utils.sftp;

/** A file the server has, and what a read of it answers. */
const FILE = { path: '/etc/gridops-code-cache', content: Buffer.from('managed=yes\n') };
const fileAttrs = { mode: 0o100644, uid: 0, gid: 0, size: FILE.content.length, atime: 0, mtime: 0 };

/** An SSH server on loopback that lets in the one key, answers SFTP reads of FILE and runs no command (each exits 0). */
function startServer(hostKey, clientKey) {
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (ctx) => (ctx.method === 'publickey' && ctx.key.data.equals(clientKey) ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('error', () => undefined);
    client.on('ready', () =>
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept) => {
          const channel = accept();
          channel.write('ok\n');
          channel.exit(0);
          channel.end();
        });
        session.on('sftp', (accept) => {
          const sftp = accept();
          const attrsOf = (id, path) => (path === FILE.path ? sftp.attrs(id, fileAttrs) : sftp.status(id, STATUS_CODE.NO_SUCH_FILE));
          sftp.on('LSTAT', attrsOf);
          sftp.on('STAT', attrsOf);
          sftp.on('OPEN', (id, path) => (path === FILE.path ? sftp.handle(id, Buffer.from('h')) : sftp.status(id, STATUS_CODE.NO_SUCH_FILE)));
          sftp.on('READ', (id, handle, offset, length) => (offset < FILE.content.length ? sftp.data(id, FILE.content.subarray(offset, offset + length)) : sftp.status(id, STATUS_CODE.EOF)));
          sftp.on('CLOSE', (id) => sftp.status(id, STATUS_CODE.OK));
        });
      }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'gridops-ssh2-cache-'));
let server;
/** Closes the server and removes the folder, which holds the user key's private half. */
const cleanUp = () => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
};
// A connection that hangs would hold the build: it goes on without this cache. process.exit skips
// the `finally` below, so the clean-up runs here first; exit code 0, so that the build continues.
const timer = setTimeout(() => {
  console.warn('ssh2-code-cache: the connection on loopback did not finish in 20 s: no code cache for ssh2 (its first connection compiles it)');
  cleanUp();
  process.exit(0);
}, 20_000);
try {
  const host = generateEd25519('gridops-code-cache-host');
  const user = generateEd25519('gridops-code-cache-user');
  const identity = join(dir, 'id_ed25519');
  writeFileSync(identity, user.privateKey, { mode: 0o600 });
  const blobOf = (pair) => Buffer.from(pair.publicKey.split(' ')[1], 'base64');
  server = await startServer(host.privateKey, blobOf(user));
  const { port } = server.address();
  const knownHosts = KnownHosts.fromText(`${formatKnownHostsLine('127.0.0.1', port, blobOf(host))}\n`);
  const transport = await SshTransport.connect({ name: 'code-cache', host: '127.0.0.1', port, identityFiles: [identity] }, { knownHosts, agentSocket: null, keepaliveIntervalMs: 0 });
  try {
    const answers = await transport.queryFiles(
      [
        { path: FILE.path, lstat: true, read: 4096 },
        { path: '/usr/bin/gridagent', stat: true },
      ],
      { timeoutMs: 10_000 },
    );
    if (answers?.get(FILE.path)?.content?.toString() !== FILE.content.toString()) throw new Error('the read without a shell did not read the file back');
    const ran = await transport.exec('true', { timeoutMs: 10_000 });
    if (ran.code !== 0) throw new Error(`the command exited ${ran.code}`);
  } finally {
    await transport.close();
  }
  writeCodeCache(bundle);
} catch (error) {
  console.warn(`ssh2-code-cache: no code cache for ssh2 (its first connection compiles it): ${error.message}`);
} finally {
  clearTimeout(timer);
  cleanUp();
}
