/**
 * The ssh2 implementation of Transport: one SSH connection per host, host keys checked against
 * known_hosts, identity files and ssh-agent, an optional jump host tunnelled through ssh2
 * (`forwardOut` passed as `sock`), sudo for non-root users, SFTP uploads made atomic by rename.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type { AnyAuthMethod, Client, ParsedKey, ClientChannel, ConnectConfig, SFTPWrapper, ServerHostKeyAlgorithm, Stats } from 'ssh2';
import { ConnectionError, HostKeyError, InterruptedError, RemoteCommandError } from '../errors/index.js';
import { splitJumpHost } from '../topology/jump-host.js';
import { BecomeHandshake, BecomePassword, becomeToken, planBecome, redact } from './become.js';
import type { EarlyDials } from './early-dials.js';
import { withKeyObjectSigning } from './key-object-signing.js';
import { KeptSftp } from './kept-sftp.js';
import { CommandTimeoutError, summarize } from './errors.js';
import { batchWatchdogCommand, endBatchCommand, NOT_A_GROUP_LEADER } from './batch-group.js';
import { HeldChannel, heldReadCommand, heldSentinel, remoteSeconds, type HeldRead } from './held-read.js';
import { fetchHostCertificates, verifyHostCertificate, type CertificateVerdict, type HostTrust } from './host-certificate.js';
import { changedHostKeyHint, missingKnownHostsHint, unknownHostKeyHint } from './host-key-hints.js';
import { KnownHosts, fingerprintSha256, keyTypeOf, knownHostsName, type HostKeyVerdict } from './known-hosts.js';
import { silentLogger, type TransportLogger } from './logger.js';
import { quote, sh } from './quote.js';
import { abortableDelay, backoffDelay, defaultRetryPolicy, retriesFor, type RetryPolicy } from './retry.js';
import { coalesceWrites } from './coalesce-writes.js';
import { skipHostKeyProofs } from './skip-host-key-proofs.js';
import { isUnansweredConnect, unansweredConnect } from './unanswered-connect.js';
import { makeRootOnlyDir, stageInRootOnlyDirScript, type DirAttrs } from './root-only-dir.js';
import { querySftp, SftpUnanswered } from './sftp-queries.js';
import { sftpPutFile } from './sftp-put-file.js';
import { isLocalFile, type ExecOptions, type ExecResult, type FileAnswer, type FileQuery, type Transport, type UploadContent, type UploadOptions } from './transport.js';

type SshClient = Client;
/** The two parts of ssh2 a connection uses. */
interface Ssh2Client {
  Client: typeof import('ssh2').Client;
  parseKey: typeof import('ssh2').utils.parseKey;
}
let loaded: Ssh2Client | undefined;
/**
 * ssh2's client and key parser, loaded on first use: a run through the connection keeper never
 * needs them (about 0.2 s of start-up). Not ssh2's index, which also loads its server, its HTTP
 * agents (node:http, node:https) and key generation: the first handshake waits for this load, and
 * the client alone takes 14 ms less of it (50 -> 36 ms). The paths are inside ssh2's package: an
 * ssh2 that moves them (or closes them with an `exports` map) gets its index loaded instead.
 */
export function ssh2Client(): Ssh2Client {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    try {
      loaded = {
        Client: require('ssh2/lib/client.js') as Ssh2Client['Client'],
        parseKey: (require('ssh2/lib/protocol/keyParser.js') as { parseKey: Ssh2Client['parseKey'] }).parseKey,
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
      const index = require('ssh2') as typeof import('ssh2');
      loaded = { Client: index.Client, parseKey: index.utils.parseKey };
    }
  }
  return loaded;
}

/** A jump (bastion) host, as an object or as `user@host:port`. */
export interface JumpHostSpec {
  host: string;
  port?: number;
  user?: string;
  identityFile?: string | string[];
  /** Connect timeout of the jump connection (ms); default: that of the host behind it (SshHostSpec.readyTimeoutMs). */
  readyTimeoutMs?: number;
}

/** Where and how to reach one host. */
export interface SshHostSpec {
  /** Name used in logs and errors; defaults to `host`. */
  name?: string;
  host: string;
  port?: number;
  /** Defaults to root. */
  user?: string;
  /** Private keys to offer, `~` expanded. Without any, ~/.ssh/id_{ed25519,ecdsa,rsa} are tried. */
  identityFiles?: string[];
  jumpHost?: JumpHostSpec | string;
  /**
   * This host's connect timeout (ms), per attempt: the handshake up to authentication and, through
   * a jump host, the jump host's channel to it; its jump connection gets the same unless the jump
   * spec sets its own. Default: the session's readyTimeoutMs. The topology's ssh.connectTimeout.
   */
  readyTimeoutMs?: number;
  /** Write this host's key hashed where --accept-new-host-keys records it (~/.ssh/config's HashKnownHosts for it); default: the session's hashKnownHosts. */
  hashKnownHosts?: boolean;
}

/** Settings shared by every connection of a run. */
export interface SshSessionOptions {
  knownHosts: KnownHosts;
  /** Record keys of unknown hosts (`--accept-new-host-keys`). Changed keys are refused regardless. */
  acceptNewHostKeys?: boolean;
  /** Write accepted keys hashed, like HashKnownHosts. */
  hashKnownHosts?: boolean;
  /** SSH handshake timeout, for hosts whose spec sets none. Default 10 000. */
  readyTimeoutMs?: number;
  /** Default 15 000; 0 disables. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  retry?: RetryPolicy;
  /** ssh-agent socket; defaults to $SSH_AUTH_SOCK. `null` disables the agent. */
  agentSocket?: string | null;
  /** sudo password source, shared by all hosts of the run (asked at most once). */
  becomePassword?: BecomePassword;
  /** Ctrl-C: once aborted, no new connection, retry or command starts. */
  signal?: AbortSignal;
  logger?: TransportLogger;
  /**
   * A line for the person running gridops, on the run's own output. A host key recorded with
   * --accept-new-host-keys is said here, as OpenSSH's "Permanently added" line is: trust given on
   * first use must be seen when it is given, not found later in a log file.
   */
  say?: (message: string) => void;
  /** Test hook: called before each retry with the attempt number and the error. */
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
  /** TCP connections the run opened early (early-dials.ts); a host's first handshake uses its own. */
  earlyDials?: EarlyDials;
  /** The keys tried for a host that names none; default ~/.ssh/id_{ed25519,ecdsa,rsa} (tests point it elsewhere). */
  defaultIdentityFiles?: readonly string[];
}

/** Parses `user@host:port` (user and port optional, `[v6]:port` accepted). */
export function parseJumpHost(spec: JumpHostSpec | string): JumpHostSpec {
  if (typeof spec !== 'string') return spec;
  const parts = splitJumpHost(spec.trim());
  if (!parts) throw new ConnectionError(spec, 'cannot read the jump host', 'write it as user@host:port, e.g. admin@bastion:22, and an IPv6 address in brackets: [2001:db8::1]:22');
  return { host: parts.host, ...(parts.user ? { user: parts.user } : {}), ...(parts.port ? { port: Number(parts.port) } : {}) };
}

/** The jump host of `spec`, parsed, with the connect timeout it inherits from the host behind it. */
export function jumpSpecOf(spec: SshHostSpec): JumpHostSpec | undefined {
  if (!spec.jumpHost) return undefined;
  const j = parseJumpHost(spec.jumpHost);
  return j.readyTimeoutMs === undefined && spec.readyTimeoutMs !== undefined ? { ...j, readyTimeoutMs: spec.readyTimeoutMs } : j;
}

/** `~/x` -> $HOME/x. */
export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? posix.join(homedir(), path.slice(2)) : path;
}

const DEFAULT_IDENTITIES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];
const DEFAULT_READY_TIMEOUT_MS = 10_000;
const HOST_KEY_ALGOS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Host key algorithms with the types already recorded for the host first, as OpenSSH orders them. */
export function orderHostKeyAlgorithms(recorded: readonly string[]): ServerHostKeyAlgorithm[] {
  const first: ServerHostKeyAlgorithm[] = [];
  for (const t of recorded) {
    const algos = t === 'ssh-rsa' ? (['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] as const) : HOST_KEY_ALGOS.filter((a) => a === t);
    for (const a of algos) if (!first.includes(a)) first.push(a);
  }
  return [...first, ...HOST_KEY_ALGOS.filter((a) => !first.includes(a))];
}

interface Endpoint {
  label: string;
  host: string;
  port: number;
  user: string;
  identityFiles?: string[];
  /** Connect timeout of one attempt (ms). */
  readyTimeoutMs: number;
  /** The host's own HashKnownHosts (SshHostSpec.hashKnownHosts), over the session's. */
  hashKnownHosts?: boolean;
  /** The jump host it is reached through: a host key hint fetches its key there (host-key-hints.ts). */
  jump?: JumpHostSpec;
}

/** Identity files by the run's session options, read and parsed once (readIdentities). */
const identities = new WeakMap<SshSessionOptions, Map<string, ReturnType<typeof readIdentity>>>();

type IdentityRead = { error?: undefined; key: ParsedKey } | { error: 'unreadable' | 'encrypted' | 'unparsable'; message: string };

function readIdentity(path: string): IdentityRead {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    return { error: 'unreadable', message: (e as Error).message };
  }
  const parsed = ssh2Client().parseKey(data);
  if (parsed instanceof Error) return { error: /no passphrase given/i.test(parsed.message) ? 'encrypted' : 'unparsable', message: parsed.message };
  return { key: withKeyObjectSigning(Array.isArray(parsed) ? parsed[0]! : parsed) };
}

/** An identity file that is there but that gridops cannot sign with. */
interface UnusableIdentity {
  path: string;
  /** Named by the user (topology or ~/.ssh/config), not one of the default ~/.ssh/id_* files. */
  explicit: boolean;
  encrypted: boolean;
  message: string;
}

/**
 * The endpoint's identity files, read and parsed once per run (every host of a run uses the same
 * few files; ssh2 takes the parsed key as it is): the keys to offer, and the files that are there
 * but cannot be used. An explicit file that cannot be read at all is an error, as OpenSSH's is.
 */
function readIdentities(ep: Endpoint, opts: SshSessionOptions): { explicit: boolean; keys: ParsedKey[]; offered: string[]; unusable: UnusableIdentity[] } {
  const explicit = ep.identityFiles !== undefined && ep.identityFiles.length > 0;
  const keys: ParsedKey[] = [];
  /** The files of `keys`, in the same order. */
  const offered: string[] = [];
  const unusable: UnusableIdentity[] = [];
  let read = identities.get(opts);
  if (!read) identities.set(opts, (read = new Map()));
  for (const f of explicit ? ep.identityFiles! : (opts.defaultIdentityFiles ?? DEFAULT_IDENTITIES)) {
    const path = expandHome(f);
    if (!read.has(path)) read.set(path, readIdentity(path));
    const parsed = read.get(path)!;
    if (parsed.error === 'unreadable') {
      if (explicit) throw new ConnectionError(ep.label, `cannot read identity file ${path}: ${parsed.message}`, 'check the path in the topology (identityFile)');
      continue;
    }
    if (parsed.error !== undefined) unusable.push({ path, explicit, encrypted: parsed.error === 'encrypted', message: parsed.message });
    else {
      keys.push(parsed.key);
      offered.push(path);
    }
  }
  return { explicit, keys, offered, unusable };
}

function agentSocketOf(opts: SshSessionOptions): string | undefined {
  return (opts.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : opts.agentSocket) || undefined;
}

/** "identity file /k/id is encrypted (…)", for errors: which file, and why gridops did not offer it. */
function describeUnusable(u: UnusableIdentity): string {
  const which = u.explicit ? `identity file ${u.path}` : `default key ${u.path}`;
  return u.encrypted ? `${which} is encrypted (gridops cannot ask for a passphrase)` : `${which} is not a private key gridops can read (${u.message})`;
}

/** What to do about identity files gridops could not use: the agent for encrypted ones, else the right file. */
function unusableHint(unusable: readonly UnusableIdentity[], agent: string | undefined): string {
  const encrypted = unusable.filter((u) => u.encrypted).map((u) => u.path);
  if (encrypted.length === 0) return 'point ssh.identityFile (or IdentityFile in ~/.ssh/config) at a private key, not its .pub, in OpenSSH, PEM or PuTTY format';
  const add = `ssh-add ${encrypted.join(' ')}`;
  return agent
    ? `load the key into the ssh-agent gridops uses (SSH_AUTH_SOCK=${agent}): \`${add}\`; or use an unencrypted key (ssh.identityFile)`
    : `start ssh-agent and load the key (\`eval "$(ssh-agent)"; ${add}\`) so that SSH_AUTH_SOCK is set when gridops runs; or use an unencrypted key (ssh.identityFile)`;
}

/**
 * What to do when the host refused every key: the same words for every host with the same user,
 * port and keys, so a run whose 50 hosts all refuse says it once (the plan's shared hints).
 */
function refusedKeyHint(ep: Endpoint, offered: readonly string[]): string {
  const key = offered[0] ?? 'KEY';
  return `check that ~${ep.user}/.ssh/authorized_keys on the host holds the public key (${offered.length ? offered.map((p) => `${p}.pub`).join(', ') : 'ssh.identityFile in the topology names none'}), or set ssh.user and ssh.identityFile in the topology; try it with \`ssh -i ${key} -p ${ep.port} ${ep.user}@HOST\``;
}

function authMethods(ep: Endpoint, opts: SshSessionOptions, log: TransportLogger): AnyAuthMethod[] {
  const { explicit, keys: parsed, unusable } = readIdentities(ep, opts);
  for (const u of unusable) log.warn({ host: ep.label, identityFile: u.path }, `${ep.label}: not offering ${describeUnusable(u)}`);
  const keys: AnyAuthMethod[] = parsed.map((key) => ({ type: 'publickey', username: ep.user, key }));
  const agent = agentSocketOf(opts);
  const methods: AnyAuthMethod[] = [];
  // Explicit keys first: an agent holding many keys could exhaust the server's MaxAuthTries.
  if (explicit) methods.push(...keys);
  if (agent) methods.push({ type: 'agent', username: ep.user, agent });
  if (!explicit) methods.push(...keys);
  if (methods.length === 0) {
    // An encrypted key that an agent may hold is left to the agent (as OpenSSH offers the agent's
    // copy of an IdentityFile); with no agent and nothing else to offer, the run cannot log in: say why now.
    if (unusable.length) throw new ConnectionError(ep.label, `no usable SSH credentials: ${unusable.map(describeUnusable).join('; ')}, and no ssh-agent (SSH_AUTH_SOCK is not set)`, unusableHint(unusable, agent));
    throw new ConnectionError(ep.label, 'no SSH credentials: no identity file and no ssh-agent', 'set identityFile for the host, or start ssh-agent and ssh-add your key');
  }
  return methods;
}

/** The verdict on the host certificate for `key`, fetched with ssh-keyscan from the same host. */
async function checkCertificate(ep: Endpoint, key: Buffer, trust: HostTrust, timeoutMs: number, throughJump: boolean): Promise<CertificateVerdict> {
  if (throughJump) return { ok: false, reason: 'host certificates are fetched with ssh-keyscan, which cannot go through a jump host' };
  const blobs = await fetchHostCertificates(ep.host, ep.port, timeoutMs);
  if (!blobs.length) return { ok: false, reason: 'the server offers no host certificate (sshd_config HostCertificate)' };
  const verdicts = blobs.map((b) => verifyHostCertificate(b, key, trust, ep.host));
  // A refusal with its own hint (a revoked CA or key) says more than another certificate's.
  return verdicts.find((v) => v.ok) ?? verdicts.find((v) => !v.ok && v.hint) ?? verdicts[0]!;
}

/** One SSH handshake (no retry). Resolves with a ready client, or rejects with a GridopsError or the raw ssh2 error. */
function handshake(ep: Endpoint, opts: SshSessionOptions, log: TransportLogger, sock?: Duplex): Promise<SshClient> {
  const kh = opts.knownHosts;
  // Taken once: a retry dials afresh. Until ssh2 owns it, it is ours to close.
  const early = sock ? undefined : opts.earlyDials?.take(ep.host, ep.port);
  let methods: AnyAuthMethod[];
  try {
    methods = authMethods(ep, opts, log);
  } catch (e) {
    // Neither the dialled socket nor a jump host's channel to the host outlives a handshake that never began.
    early?.destroy();
    sock?.destroy();
    throw e;
  }
  // A jump host's forwarded stream, else the dialled socket, else none (ssh2 dials).
  const stream = sock ?? early;
  return new Promise((resolve, reject) => {
    const client = new (ssh2Client().Client)();
    client.once('close', () => closedClients.add(client));
    let hostKeyError: HostKeyError | undefined;
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      // Judged before the end below: ssh2 destroys its socket just after it reports the timeout.
      const unanswered = sock ? undefined : unansweredConnect(e, { sock: stream ?? (client as unknown as { _sock?: Duplex })._sock, host: ep.host, timeoutMs: ep.readyTimeoutMs });
      client.end();
      reject(hostKeyError ?? unanswered ?? e);
    };
    // Ctrl-C ends a handshake still under way at once, not at its timeout (the node's
    // ssh.connectTimeout, 10 s by default, which a host that accepts and never answers runs to).
    // Destroyed, not ended: a host that says nothing would never answer an end either.
    const onAbort = () => {
      if (settled) return;
      client.destroy();
      fail(new InterruptedError(`${ep.label}: interrupted while connecting`));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const verify = (key: Buffer, done: (ok: boolean) => void): void => {
      const verdict = kh.check(ep.host, ep.port, key);
      if (verdict.kind === 'match') return done(true);
      const fp = fingerprintSha256(key);
      let type = '?';
      try {
        type = keyTypeOf(key);
      } catch {
        /* reported through the fingerprint only */
      }
      const name = knownHostsName(ep.host, ep.port);
      /** The refusal for a key known_hosts revokes, or for a host it records another key for. */
      const refusal = (verdict: Extract<HostKeyVerdict, { kind: 'revoked' | 'changed' }>): HostKeyError => {
        if (verdict.kind === 'revoked') {
          return new HostKeyError(
            ep.label,
            `the ${type} host key ${fp} is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refusing to connect`,
            'the host must get a new host key; then remove the old entry and record the new one',
          );
        }
        const rec = verdict.recorded[0]!;
        return new HostKeyError(
          ep.label,
          `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! The ${type} key offered by ${name} is ${fp}, ` +
            `but ${rec.file}:${rec.line} records a ${rec.keyType} key ${fingerprintSha256(rec.key)} for it. ` +
            'Someone could be intercepting the connection (man-in-the-middle), or the host was reinstalled.',
          changedHostKeyHint(name, rec.file),
        );
      };
      switch (verdict.kind) {
        case 'revoked':
        case 'changed':
          hostKeyError = refusal(verdict);
          return done(false);
        case 'unknown': {
          const cas = kh.certificateAuthorities(ep.host, ep.port);
          if (cas.length) {
            checkCertificate(ep, key, { authorities: cas, revoked: kh.revokedKeys(ep.host, ep.port) }, ep.readyTimeoutMs, sock !== undefined).then(
              (verdict) => {
                if (verdict.ok) {
                  log.info({ host: ep.label, fingerprint: fp, ca: `${verdict.ca.file}:${verdict.ca.line}` }, `${ep.label}: host certificate "${verdict.keyId}" for ${type} ${fp} signed by the @cert-authority of ${verdict.ca.file}:${verdict.ca.line}`);
                  return done(true);
                }
                hostKeyError = new HostKeyError(ep.label, `the ${type} host key ${fp} of ${name} is not in ${kh.writableFile}, and its host certificate is refused: ${verdict.reason}`, verdict.hint ?? 'renew the host certificate with `ssh-keygen -s CA -h -n HOST` (principals must include the address gridops connects to), or record the plain key');
                done(false);
              },
              (e: unknown) => {
                // Only a missing ssh-keyscan is mended by installing it; a timeout or a refusal is the host's.
                const noKeyscan = (e as NodeJS.ErrnoException).code === 'ENOENT';
                hostKeyError = new HostKeyError(ep.label, `cannot check the host certificate of ${name}: ${(e as Error).message}`, noKeyscan ? 'install openssh-client (ssh-keyscan), or record the plain key' : `check that \`ssh-keyscan -c -p ${ep.port} ${ep.host}\` answers from this machine, or record the plain key`);
                done(false);
              },
            );
            return;
          }
          if (!opts.acceptNewHostKeys) {
            hostKeyError = kh.missing.includes(kh.writableFile)
              ? new HostKeyError(ep.label, `cannot verify the ${type} host key ${fp} of ${name}: the known_hosts file ${kh.writableFile} does not exist`, missingKnownHostsHint(ep.host, ep.port, kh.writableFile, ep.jump))
              : new HostKeyError(ep.label, `unknown host key for ${name}: ${type} ${fp} is not in ${kh.writableFile}`, unknownHostKeyHint(ep.host, ep.port, kh.writableFile, ep.jump));
            return done(false);
          }
          kh.add(ep.host, ep.port, key, { hash: ep.hashKnownHosts ?? opts.hashKnownHosts ?? false }).then(
            (added) => {
              // Checked again under the file's lock: another run or handshake may have recorded this host since.
              if (added.kind === 'match') return done(true);
              if (added.kind !== 'added') {
                hostKeyError = refusal(added);
                return done(false);
              }
              const entry = added.entry;
              const recorded = `${ep.label}: recorded new ${type} host key ${fp} for ${name} in ${entry.file}:${entry.line} (--accept-new-host-keys)`;
              log.info({ host: ep.label, fingerprint: fp, file: entry.file, line: entry.line }, recorded);
              opts.say?.(`warning: ${recorded}; verify this fingerprint out of band`);
              done(true);
            },
            (e: unknown) => {
              hostKeyError = new HostKeyError(ep.label, `cannot record the host key in ${kh.writableFile}: ${(e as Error).message}`, 'check that the known_hosts file is writable');
              done(false);
            },
          );
          return;
        }
      }
    };
    const config: ConnectConfig = {
      host: ep.host,
      port: ep.port,
      username: ep.user,
      readyTimeout: ep.readyTimeoutMs,
      keepaliveInterval: opts.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: opts.keepaliveCountMax ?? 3,
      hostVerifier: verify,
      authHandler: methods,
      algorithms: { serverHostKey: orderHostKeyAlgorithms(kh.recordedKeyTypes(ep.host, ep.port)) },
      ...(stream ? { sock: stream } : {}),
    };
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      // ssh2 writes each packet with a call of its own: a read's SFTP requests, sent in one tick,
      // go out in one system call instead (and the host's sshd reads them in one).
      const sock = (client as unknown as { _sock?: Duplex })._sock;
      if (sock) coalesceWrites(sock);
      resolve(client);
    });
    client.on('error', fail);
    client.once('close', () => fail(Object.assign(new Error('Connection lost before handshake'), { level: 'client-socket' })));
    try {
      client.connect(config);
      if (!skipHostKeyProofs(client)) log.debug({ host: ep.label }, `${ep.label}: this ssh2 has no handler to wrap; it will ask the host to prove its announced host keys`);
      // Nagle plus delayed ACKs costs ~40 ms per small request/response exchange; ssh2 leaves it on.
      client.setNoDelay(true);
      // Interrupted while the jump host opened its channel: the listener came too late to hear it.
      if (opts.signal?.aborted) onAbort();
    } catch (e) {
      // ssh2 checks its config before it takes the socket: a throw there leaves the dialled one to us.
      early?.destroy();
      fail(e);
    }
  });
}

function toConnectionError(ep: Endpoint, opts: SshSessionOptions, e: unknown, attempts: number): Error {
  if (e instanceof HostKeyError || e instanceof ConnectionError || e instanceof InterruptedError) return e;
  const err = e as { message?: string; level?: string; code?: string };
  const msg = err?.message ?? String(e);
  if (err?.level === 'client-authentication') {
    // Name what the host refused (each key by file and fingerprint, and the agent's), and the files
    // gridops did not offer, which may be why (an encrypted key the agent does not hold).
    const { keys, offered, unusable } = readIdentities(ep, opts);
    const agent = agentSocketOf(opts);
    const refused = [...offered.map((path, i) => `${path} (${keys[i]!.type} ${fingerprintSha256(keys[i]!.getPublicSSH())})`), ...(agent ? [`the keys of the ssh-agent (SSH_AUTH_SOCK=${agent})`] : [])];
    const what = refused.length ? `the host refused ${refused.join(', ')}` : 'gridops had no key to offer';
    const notOffered = unusable.length ? `; not offered: ${unusable.map(describeUnusable).join('; ')}${agent ? '' : '; no ssh-agent (SSH_AUTH_SOCK is not set)'}` : '';
    return new ConnectionError(ep.label, `authentication failed for ${ep.user}@${ep.host}:${ep.port}: ${what}${notOffered}`, unusable.length ? unusableHint(unusable, agent) : refusedKeyHint(ep, offered), { cause: e });
  }
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (isUnansweredConnect(e)) {
    const probe = sh(['nc', '-vz', '-w', '3', ep.host, String(ep.port)]);
    return new ConnectionError(ep.label, `cannot connect to ${ep.host}:${ep.port}${tries}: ${msg}`, `check that the host is up and that no firewall drops port ${ep.port} (\`${probe}\` from here); on a slow link, raise ssh.connectTimeout in the topology`, { cause: e });
  }
  return new ConnectionError(ep.label, `cannot connect to ${ep.host}:${ep.port}${tries}: ${msg}`, 'check that the host is up and sshd listens on that port, or raise ssh.connectTimeout in the topology (default 10s)', { cause: e });
}

/** Connects with retries (connection failures only). `open` makes the socket, e.g. through a jump host. */
async function connectWithRetry(ep: Endpoint, opts: SshSessionOptions, log: TransportLogger, open?: () => Promise<Duplex>): Promise<SshClient> {
  const policy = opts.retry ?? defaultRetryPolicy;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new InterruptedError(`${ep.label}: interrupted before connecting`);
    try {
      if (!open) return await handshake(ep, opts, log);
      // Through a jump host, one budget per attempt as a direct connect has: the jump host's channel
      // to the target (its TCP connect) and then the handshake, within the host's own timeout.
      const started = performance.now();
      const sock = await openWithin(open, ep, opts.signal);
      const left = Math.max(1, Math.round(ep.readyTimeoutMs - (performance.now() - started)));
      return await handshake({ ...ep, readyTimeoutMs: left }, opts, log, sock);
    } catch (e) {
      if (attempt >= retriesFor(e, policy) || e instanceof HostKeyError) throw toConnectionError(ep, opts, e, attempt + 1);
      const delay = backoffDelay(attempt, policy);
      log.debug({ host: ep.label, attempt: attempt + 1, delayMs: delay }, `${ep.label}: connect failed (${(e as Error).message}); retrying in ${delay} ms`);
      opts.onRetry?.(attempt + 1, delay, e);
      await abortableDelay(delay, opts.signal);
    }
  }
}

/**
 * The jump host's stream to the target, or a timeout (retried as ssh2's own handshake timeout is):
 * a jump host whose TCP connect to the target hangs must not hold the host past its timeout, nor
 * past a Ctrl-C.
 */
function openWithin(open: () => Promise<Duplex>, ep: Endpoint, signal?: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let late = false;
    const giveUp = (e: Error) => {
      late = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    };
    const timer = setTimeout(() => giveUp(Object.assign(new Error(`Timed out after ${ep.readyTimeoutMs} ms while waiting for the jump host to open a channel to ${ep.host}:${ep.port}`), { level: 'client-timeout' })), ep.readyTimeoutMs);
    const onAbort = () => giveUp(new InterruptedError(`${ep.label}: interrupted while connecting`));
    signal?.addEventListener('abort', onAbort, { once: true });
    open().then(
      (stream) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (late) stream.destroy();
        else resolve(stream);
      },
      (e: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!late) reject(e);
      },
    );
  });
}

/** An open ssh2 connection to a jump host, shared by every target behind it. */
export class JumpConnection {
  private constructor(
    readonly label: string,
    private readonly client: SshClient,
  ) {}

  static async connect(spec: JumpHostSpec | string, opts: SshSessionOptions): Promise<JumpConnection> {
    const j = parseJumpHost(spec);
    const files = j.identityFile === undefined ? undefined : Array.isArray(j.identityFile) ? j.identityFile : [j.identityFile];
    const readyTimeoutMs = j.readyTimeoutMs ?? opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const ep: Endpoint = { label: `jump ${j.host}`, host: j.host, port: j.port ?? 22, user: j.user ?? 'root', ...(files ? { identityFiles: files } : {}), readyTimeoutMs };
    const log = opts.logger ?? silentLogger;
    return new JumpConnection(ep.label, await connectWithRetry(ep, opts, log));
  }

  /** A TCP stream to host:port opened by the jump host (direct-tcpip). */
  forward(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  close(): Promise<void> {
    return endClient(this.client);
  }
}

/** Waits for `promises` to settle, `ms` at most (its timer cleared, so a process can end at once). */
async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Clients whose connection has closed (ended by us, the server or the network): nothing left to end (endClient), and not open (SshTransport.isOpen). */
const closedClients = new WeakSet<SshClient>();

/**
 * Ends a client's connection and waits for its close, 2 s at most. One that closed already (a
 * host or jump host that dropped mid-run) returns at once: its 'close' came and went, and waiting
 * for another would hold the run's end for the whole bound.
 */
function endClient(client: SshClient): Promise<void> {
  if (closedClients.has(client)) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 2000);
    client.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    client.end();
  });
}

interface RawResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal?: string;
}

/** Transport over one ssh2 connection. Create with `SshTransport.connect` (or through a pool). */
export class SshTransport implements Transport {
  /** The SFTP session of uploads and reads, and the one the keeper's reads without a shell keep (kept-sftp.ts says why two). */
  private readonly filesSftp = new KeptSftp(() => this.openSftp());
  private readonly keptQueries = new KeptSftp(() => this.openSftp());
  private readonly token = becomeToken();
  /** Set by close(): the connection is closed (or closing) from then on. */
  private closing: Promise<void> | undefined;
  /** Commands for the host's side of held batches (batch-group.ts) still being sent: close waits for them. */
  private readonly onHostPending = new Set<Promise<void>>();
  /** Held reads of this connection, whose batches may still run when it closes. */
  private readonly helds = new Set<HeldChannel>();

  private constructor(
    readonly name: string,
    readonly user: string,
    private readonly client: SshClient,
    private readonly opts: SshSessionOptions,
    private readonly log: TransportLogger,
    /** How long the connection took to open (ms), including retries. */
    readonly connectMs: number,
    private readonly ownedJump?: JumpConnection,
  ) {
    client.on('error', (e) => log.warn({ host: name, err: e.message }, `${name}: connection error: ${e.message}`));
  }

  get loginUser(): string {
    return this.user;
  }

  /**
   * Opens the connection. With `jump`, the target is reached through that open jump connection;
   * otherwise, if the spec names a jump host, a private jump connection is opened and closed with
   * this transport.
   */
  static async connect(spec: SshHostSpec, opts: SshSessionOptions, jump?: JumpConnection): Promise<SshTransport> {
    const log = opts.logger ?? silentLogger;
    const name = spec.name ?? spec.host;
    const readyTimeoutMs = spec.readyTimeoutMs ?? opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const jumpSpec = jumpSpecOf(spec);
    const ep: Endpoint = {
      label: name,
      host: spec.host,
      port: spec.port ?? 22,
      user: spec.user ?? 'root',
      ...(spec.identityFiles ? { identityFiles: spec.identityFiles } : {}),
      readyTimeoutMs,
      ...(spec.hashKnownHosts !== undefined ? { hashKnownHosts: spec.hashKnownHosts } : {}),
      ...(jumpSpec ? { jump: jumpSpec } : {}),
    };
    const started = performance.now();
    let owned: JumpConnection | undefined;
    if (!jump && jumpSpec) jump = owned = await JumpConnection.connect(jumpSpec, opts);
    try {
      const via = jump;
      const client = await connectWithRetry(ep, opts, log, via ? () => via.forward(ep.host, ep.port) : undefined);
      const ms = Math.round(performance.now() - started);
      log.debug({ host: name, ms }, `${name}: connected to ${ep.user}@${ep.host}:${ep.port}${via ? ` via ${via.label}` : ''} in ${ms} ms`);
      return new SshTransport(name, ep.user, client, opts, log, ms, owned);
    } catch (e) {
      await owned?.close();
      throw e;
    }
  }

  /** Whether the connection is still up (not closed by us, not dropped by the server or the network). */
  get isOpen(): boolean {
    return this.closing === undefined && !closedClients.has(this.client);
  }

  private checkOpen(): void {
    if (this.opts.signal?.aborted) throw new InterruptedError(`${this.name}: interrupted; not starting new work`);
    if (this.closing !== undefined) throw new ConnectionError(this.name, 'the connection is already closed');
  }

  async execHeld(script: string, options: { timeoutMs: number; become?: boolean }): Promise<HeldRead | undefined> {
    // sudo would sit between the read and the batch (its password on the same stdin): not held.
    if (options.become && this.user !== 'root') return undefined;
    this.checkOpen();
    const sentinel = heldSentinel();
    const command = heldReadCommand(script, sentinel);
    return new Promise<HeldRead>((resolve, reject) => {
      this.client.exec(command, (err, channel) => {
        if (err) return reject(new ConnectionError(this.name, `cannot start a command: ${err.message}`, 'the connection may have dropped; rerun', { cause: err }));
        // Listeners now, in this tick (execRaw says why).
        const held = new HeldChannel(this.name, channel, sentinel, {
          end: (pid) => {
            sendSignal(channel, 'TERM');
            channel.close();
            if (pid !== undefined) this.sendToHost(endBatchCommand(pid), 'end a held batch');
          },
          watch: (pid, seconds) => this.sendToHost(batchWatchdogCommand(pid, seconds), 'leave a watchdog for a held batch'),
        });
        this.helds.add(held);
        channel.once('close', () => this.helds.delete(held));
        held.read(script, options.timeoutMs).then(resolve, reject);
      });
    });
  }

  /**
   * Runs a short command of the connection's own on the host, without waiting for it: one that
   * ends or watches a held batch (batch-group.ts). A close waits for it to be sent, 2 s at most;
   * a connection that is gone cannot send it, which the command's failure here says in the log.
   */
  private sendToHost(command: string, what: string): void {
    if (closedClients.has(this.client)) {
      this.log.warn({ host: this.name }, `${this.name}: cannot ${what}: the connection is gone`);
      return;
    }
    const sent = new Promise<void>((resolve) => {
      try {
        this.client.exec(command, (err, channel) => {
          if (err) {
            this.log.warn({ host: this.name, err: err.message }, `${this.name}: cannot ${what}: ${err.message}`);
            return resolve();
          }
          channel.on('exit', (code: number | null) => {
            if (code === NOT_A_GROUP_LEADER) this.log.warn({ host: this.name }, `${this.name}: cannot ${what}: the session's shell leads no process group of its own (a forced command, or a login shell that does not exec), so the batch's processes cannot be told from others`);
          });
          channel.on('close', () => resolve());
          channel.resume();
          channel.stderr.resume();
          channel.end();
        });
      } catch (e) {
        this.log.warn({ host: this.name, err: (e as Error).message }, `${this.name}: cannot ${what}: ${(e as Error).message}`);
        resolve();
      }
    });
    this.onHostPending.add(sent);
    void sent.then(() => this.onHostPending.delete(sent));
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const raw = await this.execRaw(command, options);
    return { stdout: raw.stdout.toString('utf8'), stderr: raw.stderr, code: raw.code, ...(raw.signal ? { signal: raw.signal } : {}) };
  }

  private async execRaw(command: string, options: ExecOptions): Promise<RawResult> {
    this.checkOpen();
    const become = this.opts.becomePassword ?? new BecomePassword();
    const wrapped = options.readOnly ? `exec sh -c ${quote(command)}` : options.timeoutMs && options.timeoutMs > 0 ? withRemoteTimeout(command, options.timeoutMs) : command;
    const plan = planBecome(wrapped, { user: this.user, become: options.become ?? false, withPassword: become.configured, token: this.token });
    const exit: { code: number | null; signal?: string } = { code: null };
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      this.client.exec(plan.command, (err, ch) => {
        if (err) return reject(new ConnectionError(this.name, `cannot start a command: ${err.message}`, 'the connection may have dropped; rerun', { cause: err }));
        // Listen now, not after the await: ssh2 can emit 'exit' in this very tick when the reply
        // packets arrive together (a fast command under load), and a late listener misses it.
        ch.on('exit', (c: number | null, sig?: string) => {
          exit.code = c ?? null;
          if (sig) exit.signal = sig;
        });
        resolve(ch);
      });
    });
    const shake = plan.handshake ? new BecomeHandshake(plan.handshake) : undefined;
    const stdin = options.stdin;
    return new Promise<RawResult>((resolve, reject) => {
      const out: Buffer[] = [];
      let err = '';
      const decoder = new StringDecoder('utf8');
      let done = false;
      let code: number | null = null;
      let signal: string | undefined;
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const kill = () => {
        // sshd delivers a "signal" request with killpg() to the session's process group (TERM, so
        // the `timeout` wrapper forwards it). sshd refuses it on root sessions ("requires privilege
        // separation"); there the wrapper's own deadline, 1 s after ours, does the killing.
        sendSignal(channel, 'TERM');
        channel.close();
      };
      const failWith = async (e: Error) => {
        if (done) return;
        done = true;
        cleanup();
        kill();
        const pw = await become.known();
        if (pw && e.message.includes(pw)) e.message = redact(e.message, pw);
        reject(e);
      };
      const onAbort = () => void failWith(new InterruptedError(`${this.name}: command interrupted (${summarize(command)})`));
      if (options.signal) {
        if (options.signal.aborted) return void failWith(new InterruptedError(`${this.name}: command interrupted before it started`));
        options.signal.addEventListener('abort', onAbort, { once: true });
      }
      if (options.timeoutMs && options.timeoutMs > 0) {
        const ms = options.timeoutMs;
        timer = setTimeout(() => void become.known().then((pw) => failWith(new CommandTimeoutError(this.name, command, ms, redact(err, pw)))), ms);
      }
      const writeStdin = () => {
        if (stdin !== undefined && stdin.length > 0) channel.write(stdin);
        channel.end();
      };
      const live = options.onStdout ? new StringDecoder('utf8') : undefined;
      channel.on('data', (d: Buffer) => {
        out.push(d);
        if (live) options.onStdout!(live.write(d));
      });
      channel.stderr.on('data', (d: Buffer) => {
        const text = decoder.write(d);
        if (!shake) {
          err += text;
          return;
        }
        const wasStarted = shake.started;
        const { newPrompts, passthrough } = shake.feed(text);
        err += passthrough;
        if (newPrompts > 0 && shake.prompts > 1) {
          void failWith(new ConnectionError(this.name, `sudo rejected the become password for ${this.user}`, 'check GRIDOPS_BECOME_PASSWORD (or the password you typed) for this user'));
          return;
        }
        if (newPrompts > 0) {
          become.get().then(
            (pw) => {
              if (done) return;
              if (!pw) return void failWith(new ConnectionError(this.name, `sudo asks ${this.user} for a password but none was given`, 'set GRIDOPS_BECOME_PASSWORD or use --ask-become-pass'));
              channel.write(`${pw}\n`);
            },
            (e: unknown) => void failWith(new ConnectionError(this.name, `cannot get the become password: ${(e as Error).message}`)),
          );
        }
        if (!wasStarted && shake.started) writeStdin();
      });
      channel.on('close', () => {
        code = exit.code;
        signal = exit.signal;
        if (done) return;
        done = true;
        cleanup();
        err += decoder.end();
        if (shake && !shake.started) {
          void become.known().then((pw) => {
            const said = redact(shake.finish().trim(), pw);
            reject(
              new ConnectionError(
                this.name,
                `become (sudo) failed for ${this.user}: ${said || `exit ${code ?? signal}`}`,
                become.configured ? 'check that the user may run sudo on this host' : 'sudo needs a password here: set GRIDOPS_BECOME_PASSWORD or use --ask-become-pass',
              ),
            );
          });
          return;
        }
        resolve({ stdout: Buffer.concat(out), stderr: err, code, ...(signal ? { signal } : {}) });
      });
      if (!shake) writeStdin();
    });
  }

  private openSftp(): Promise<SFTPWrapper> {
    return new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((err, s) => (err ? reject(new ConnectionError(this.name, `cannot open SFTP: ${err.message}`, 'check that sshd has the sftp subsystem enabled')) : resolve(s)));
    });
  }

  async upload(remotePath: string, content: UploadContent, options: UploadOptions = {}): Promise<void> {
    this.checkOpen();
    const mode = options.mode ?? 0o644;
    const sftp = await this.filesSftp.get();
    const rand = randomBytes(6).toString('hex');
    const step = `upload ${remotePath}`;
    if (options.rootOnlyDir) return this.uploadToRootOnlyDir(sftp, remotePath, content, mode, options.become ?? false, rand);
    if (options.become && this.user !== 'root') {
      // The user cannot write the target: stage in /tmp (0600), then root installs it next to the
      // target and renames it into place, so the target is never half written.
      const staged = `/tmp/.gridops-upload-${rand}`;
      await sftpWrite(sftp, staged, content, { mode: 0o600, flags: 'w' }).catch((e: Error) => {
        throw new RemoteCommandError(this.name, step, null, `staging ${staged}: ${e.message}`);
      });
      const tmp = posix.join(posix.dirname(remotePath), `.${posix.basename(remotePath)}.gridops-${rand}`);
      const octal = mode.toString(8).padStart(4, '0');
      const script = `install -m ${octal} -- ${quote(staged)} ${quote(tmp)} && mv -f -T -- ${quote(tmp)} ${quote(remotePath)}; rc=$?; rm -f -- ${quote(staged)} ${quote(tmp)}; exit $rc`;
      const r = await this.execRaw(script, { become: true });
      if (r.code !== 0) throw new RemoteCommandError(this.name, step, r.code, r.stderr);
      return;
    }
    const tmp = posix.join(posix.dirname(remotePath), `.${posix.basename(remotePath)}.gridops-${rand}`);
    try {
      await sftpWrite(sftp, tmp, content, { mode, flags: 'w' });
      await sftpCall<void>((cb) => sftp.chmod(tmp, mode, cb)); // writeFile's mode is filtered by the server's umask
      await sftpCall<void>((cb) => sftp.ext_openssh_rename(tmp, remotePath, cb)).catch(async () => {
        const r = await this.execRaw(`mv -f -T -- ${quote(tmp)} ${quote(remotePath)}`, {});
        if (r.code !== 0) throw new Error(r.stderr.trim() || `mv exit ${r.code}`);
      });
    } catch (e) {
      await sftpCall<void>((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
      throw new RemoteCommandError(this.name, step, null, (e as Error).message);
    }
  }

  /**
   * Transport.upload with `rootOnlyDir`. As root: the directory made and checked over SFTP (lstat),
   * whatever is at the name removed (unlink never follows a symlink), and the file made anew there
   * (O_EXCL). Through sudo, where SFTP is the login user's: the file goes to the user's own temp
   * file in /tmp first, and root copies it into the checked directory; the sha256 its caller then
   * checks is of root's copy, which the user can no longer change.
   */
  private async uploadToRootOnlyDir(sftp: SFTPWrapper, remotePath: string, content: UploadContent, mode: number, become: boolean, rand: string): Promise<void> {
    const step = `upload ${remotePath}`;
    if (become && this.user !== 'root') {
      const staged = `/tmp/.gridops-upload-${rand}`;
      await sftpWrite(sftp, staged, content, { mode: 0o600, flags: 'wx' }).catch((e: Error) => {
        throw new RemoteCommandError(this.name, step, null, `staging ${staged}: ${e.message}`);
      });
      const fill = `install -m ${mode.toString(8).padStart(4, '0')} -- ${quote(staged)} "$f"`;
      const r = await this.execRaw(`${stageInRootOnlyDirScript(remotePath, fill)}
rc=$?; rm -f -- ${quote(staged)}; exit $rc`, { become: true });
      if (r.code !== 0) throw new RemoteCommandError(this.name, step, r.code, r.stderr);
      return;
    }
    const absent = (e: { code?: unknown }) => e.code === SFTP_NO_SUCH_FILE;
    const attrs = (call: (cb: (err: Error | undefined, st: Stats) => void) => void): Promise<DirAttrs | null> =>
      sftpCall<Stats>(call).then(
        (st) => ({ mode: st.mode, uid: st.uid }),
        (e: Error & { code?: unknown }) => (absent(e) ? null : Promise.reject(e)),
      );
    try {
      await makeRootOnlyDir(posix.dirname(remotePath), {
        lstat: (p) => attrs((cb) => sftp.lstat(p, cb)),
        stat: (p) => attrs((cb) => sftp.stat(p, cb)),
        readlink: (p) => sftpCall<string>((cb) => sftp.readlink(p, cb)),
        mkdir: (p, m) => sftpCall<void>((cb) => sftp.mkdir(p, { mode: m }, cb)),
      });
      await sftpCall<void>((cb) => sftp.unlink(remotePath, cb)).catch((e: Error & { code?: unknown }) => (absent(e) ? undefined : Promise.reject(e)));
      await sftpWrite(sftp, remotePath, content, { mode, flags: 'wx' });
      await sftpCall<void>((cb) => sftp.chmod(remotePath, mode, cb)); // writeFile's mode is filtered by the server's umask
    } catch (e) {
      throw new RemoteCommandError(this.name, step, null, (e as Error).message);
    }
  }

  /**
   * Transport.queryFiles on an SFTP session of its own (sftp-queries.ts), ended once answered, so
   * a host read this way holds no session more than a shell read would; with `keepSession` (the
   * keeper's), on one the connection keeps for the next query (queryKeptSftp). Undefined, for the caller
   * to read with the shell, where become needs sudo, where the server has no sftp subsystem, and
   * where the session did not answer within `timeoutMs` or stopped answering.
   */
  async queryFiles(queries: readonly FileQuery[], options: { become?: boolean; timeoutMs: number; keepSession?: boolean }): Promise<Map<string, FileAnswer> | undefined> {
    if (options.become && this.user !== 'root') return undefined;
    this.checkOpen();
    if (options.keepSession) return this.queryKeptSftp(queries, options.timeoutMs);
    let session: SFTPWrapper | undefined;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => ((timedOut = true), resolve(undefined)), options.timeoutMs);
    });
    const query = (async () => {
      session = await this.openSftp().catch(() => undefined);
      if (!session) return undefined;
      if (timedOut) return void session.end();
      // A protocol error after the session started is emitted here: without a listener it would end the process.
      session.on('error', () => undefined);
      return await querySftp(session, queries);
    })().catch((err: unknown) => {
      if (err instanceof SftpUnanswered) return undefined;
      throw err;
    });
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
      // A session still opening when the time ran out ends as soon as it opens (above).
      session?.end();
    }
  }

  /**
   * Opens the SFTP session queryKeptSftp asks on, if the connection has none, without waiting for
   * it: the keeper does this once a run whose reads went through the shell has let go of it, so
   * that the next run's first read without a shell does not wait for the session (a channel,
   * the subsystem and its process on the host, the SFTP version: at 50 hosts on this 2-core
   * machine, a kept no-change apply right after a first apply took 1.34 s, and 0.54 to 0.63 s
   * with the sessions open). Nothing where queryFiles would not use it (become as a user
   * other than root). A session that fails to open is forgotten, and the next query opens one.
   */
  openKeptQueries(options: { become?: boolean } = {}): void {
    if (!this.isOpen || (options.become && this.user !== 'root')) return;
    this.keptQueries.get().catch(() => undefined);
  }

  /**
   * queryFiles on an SFTP session the connection keeps for the next query (the keeper's
   * connections, `--persist`): a run then costs the host no session, no shell and no process, only
   * the requests. A session that does not answer in time is dropped, and the caller reads with the
   * shell; one that ended under the query (the server ended it) is replaced and asked once more,
   * within the same time. A refusal from a live session (a status the read cannot use) keeps it.
   */
  private async queryKeptSftp(queries: readonly FileQuery[], timeoutMs: number): Promise<Map<string, FileAnswer> | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const session = this.keptQueries.get();
        let opened = false;
        const query = session.then((s) => ((opened = true), querySftp(s, queries))).catch((err: unknown) => {
          if (err instanceof SftpUnanswered || err instanceof ConnectionError) return undefined;
          throw err;
        });
        // An answer that comes after the time ran out is nobody's: its failure must not go unhandled.
        query.catch(() => undefined);
        const answers = await Promise.race([query, timeout]);
        if (answers === 'timeout') {
          this.keptQueries.drop(session);
          return undefined;
        }
        // Asked once more only where a session opened and then ended: a server that opens none (no sftp subsystem) is asked once.
        if (answers || !opened || this.keptQueries.holds(session)) return answers;
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async read(remotePath: string, options: { become?: boolean } = {}): Promise<Buffer | null> {
    this.checkOpen();
    if (options.become && this.user !== 'root') {
      const missing = `gridops-missing-${this.token}`;
      const r = await this.execRaw(`if [ -e ${quote(remotePath)} ] || [ -L ${quote(remotePath)} ]; then exec cat -- ${quote(remotePath)}; else echo ${missing} >&2; exit 3; fi`, { become: true });
      if (r.code === 3 && r.stderr.includes(missing)) return null;
      if (r.code !== 0) throw new RemoteCommandError(this.name, `read ${remotePath}`, r.code, r.stderr);
      return r.stdout;
    }
    const sftp = await this.filesSftp.get();
    try {
      return await sftpCall<Buffer>((cb) => sftp.readFile(remotePath, cb));
    } catch (e) {
      if ((e as { code?: number }).code === 2) return null; // SSH_FX_NO_SUCH_FILE
      throw new RemoteCommandError(this.name, `read ${remotePath}`, null, (e as Error).message);
    }
  }

  /** Ends the connection; a second call waits for the first one's close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // A batch still running when its connection closes is left to its watchdog, not to chance.
      for (const held of this.helds) held.leaveWatchdog();
      if (this.onHostPending.size > 0) await settledWithin([...this.onHostPending], 2000);
      await endClient(this.client);
      await this.ownedJump?.close();
    })();
    return this.closing;
  }
}

/**
 * Wraps a command so the remote side can kill everything it started: GNU/busybox `timeout` puts
 * the command in its own process group and signals the group, on expiry (1 s after ours) or when
 * it receives our TERM. Without `timeout` on the host, only the channel is closed.
 */
export function withRemoteTimeout(command: string, timeoutMs: number): string {
  const secs = remoteSeconds(timeoutMs);
  // The gate's batch (`sh -s`, the script on stdin) runs as it is: `sh -c 'sh -s'` was one more exec per host.
  const run = command === 'sh -s' ? command : `sh -c ${quote(command)}`;
  return `if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 ${secs} ${run}; else exec ${run}; fi`;
}

/**
 * ssh2's `channel.signal()` silently does nothing once our side of the channel is ended (stdin
 * closed), which is always the case here; send the request through the protocol object instead.
 * If ssh2's internals ever change, this degrades to "channel closed, remote timeout cleans up".
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const ch = channel as unknown as { outgoing?: { id?: number; state?: string }; _client?: { _protocol?: { signal?: (id: number, sig: string) => void } } };
  try {
    const proto = ch._client?._protocol;
    if ((ch.outgoing?.state === 'open' || ch.outgoing?.state === 'eof') && typeof ch.outgoing.id === 'number' && typeof proto?.signal === 'function') proto.signal(ch.outgoing.id, name);
    else channel.signal(name);
  } catch {
    /* the server may not support signals; closing still ends the channel */
  }
}

/** SFTP's status for a name with nothing at it. */
const SFTP_NO_SUCH_FILE = 2;

/** Writes `content` to `path` opened with `flags`: bytes in memory in one writeFile, a LocalFile streamed in chunks (sftp-put-file.ts). */
function sftpWrite(sftp: SFTPWrapper, path: string, content: UploadContent, options: { mode: number; flags: 'w' | 'wx' }): Promise<void> {
  if (isLocalFile(content)) return sftpPutFile(sftp, content.localPath, path, options);
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return sftpCall<void>((cb) => sftp.writeFile(path, data, { mode: options.mode, flag: options.flags }, cb));
}

function sftpCall<T>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

