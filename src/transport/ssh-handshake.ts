/**
 * One SSH handshake of a connection attempt: the host key checked against known_hosts (or a host
 * certificate against its @cert-authority), recorded with --accept-new-host-keys, and the login.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { AnyAuthMethod, Client as SshClient, ConnectConfig } from 'ssh2';
import { HostKeyError, InterruptedError } from '../errors/index.js';
import { beforeHandshake } from './before-handshake.js';
import { closedClients } from './closed-clients.js';
import { coalesceWrites } from './coalesce-writes.js';
import { fetchHostCertificates, verifyHostCertificate, type CertificateVerdict, type HostTrust } from './host-certificate.js';
import { orderHostKeyAlgorithms } from './host-key-algorithms.js';
import { changedHostKeyHint, missingKnownHostsHint, unknownHostKeyHint } from './host-key-hints.js';
import { fingerprintSha256, keyTypeOf, knownHostsName, type HostKeyVerdict } from './known-hosts.js';
import type { TransportLogger } from './logger.js';
import { serverGreeting } from './server-greeting.js';
import { skipHostKeyProofs } from './skip-host-key-proofs.js';
import { authMethods } from './ssh-auth-methods.js';
import type { Endpoint } from './ssh-endpoint.js';
import type { SshSessionOptions } from './ssh-session-options.js';
import { ssh2Client } from './ssh2-client.js';
import { unansweredConnect } from './unanswered-connect.js';

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
export function handshake(ep: Endpoint, opts: SshSessionOptions, log: TransportLogger, sock?: Duplex): Promise<SshClient> {
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
      const dialled = stream ?? (client as unknown as { _sock?: Duplex })._sock;
      const unanswered = sock ? undefined : unansweredConnect(e, { sock: dialled, host: ep.host, timeoutMs: ep.readyTimeoutMs });
      const judged = unanswered ?? beforeHandshake(e, { greeting: serverGreeting(client), sock: dialled, host: ep.host, timeoutMs: ep.readyTimeoutMs });
      client.end();
      reject(hostKeyError ?? judged ?? e);
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
              ? new HostKeyError(ep.label, `cannot verify the ${type} host key ${fp} of ${name}: the known_hosts file ${kh.writableFile} does not exist`, missingKnownHostsHint(ep.host, ep.port, kh.writableFile, ep.jump, existsSync(dirname(kh.writableFile))))
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
              opts.warn?.(`${recorded}; verify this fingerprint out of band`);
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
