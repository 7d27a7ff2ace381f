/**
 * Host certificates (`@cert-authority` in known_hosts). ssh2 negotiates plain host keys only, so
 * the server proves it holds its plain key in the key exchange, and gridops then asks the same
 * server for the certificate of that key with OpenSSH's `ssh-keyscan -c`. The certificate is
 * trusted only if it certifies exactly the key the session was made with, is a host certificate,
 * was signed by a CA that known_hosts trusts for this host name, names the host among its
 * principals, and is within its validity period; and neither its CA key nor its own key may be
 * `@revoked` for the host (OpenSSH's check_key_not_revoked). A forged or replayed certificate fails one of
 * these; the keyscan connection itself needs no trust. Parsing and signature checks: `sshpk`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import type sshpkModule from 'sshpk';
import { keyTypeOf, plainKeyOf, type KnownHostsEntry } from './known-hosts.js';
import { readCertificateFields, type CertificateFields } from './certificate-blob.js';
import { validityProblem } from './certificate-validity.js';

/** sshpk, loaded only when a host certificate is checked (it costs start-up time every run would pay). */
const loadSshpk = (): typeof sshpkModule => createRequire(import.meta.url)('sshpk') as typeof sshpkModule;

const run = promisify(execFile);

/** A refusal's `hint` says what to do when the generic one (renew the certificate) is not it. */
export type CertificateVerdict = { ok: true; ca: KnownHostsEntry; keyId: string } | { ok: false; reason: string; hint?: string };

/** What known_hosts says for one host name: the CAs it trusts, and the keys it revokes. */
export interface HostTrust {
  authorities: readonly KnownHostsEntry[];
  revoked: readonly KnownHostsEntry[];
}

/** The host certificates a server offers, as SSH wire blobs (empty when it has none). */
export async function fetchHostCertificates(host: string, port: number, timeoutMs: number): Promise<Buffer[]> {
  // `--` ends the options: a HostName from ~/.ssh/config that starts with `-` is a host name,
  // never an option (`-f FILE` would make ssh-keyscan read host names from a local file).
  const { stdout } = await run('ssh-keyscan', ['-c', '-p', String(port), '-T', String(Math.max(1, Math.ceil(timeoutMs / 1000))), '--', host], { timeout: timeoutMs + 2000, env: withoutGridopsSecrets(process.env) });
  const blobs: Buffer[] = [];
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const i = fields.findIndex((f) => f.endsWith('-cert-v01@openssh.com'));
    if (i >= 0 && fields[i + 1]) blobs.push(Buffer.from(fields[i + 1]!, 'base64'));
  }
  return blobs;
}

/**
 * The environment for ssh-keyscan: this process's, less every GRIDOPS_ variable. Those hold the
 * run's secrets (GRIDOPS_BECOME_PASSWORD), and ssh-keyscan needs none of them.
 */
function withoutGridopsSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('GRIDOPS_')));
}

/** Checks one certificate blob against the key the session used, what known_hosts trusts and revokes, and the host name. Pure but for `now`; never throws. */
export function verifyHostCertificate(blob: Buffer, sessionKey: Buffer, trust: HostTrust, hostName: string, now = new Date()): CertificateVerdict {
  try {
    return judgeCertificate(blob, sessionKey, trust, hostName, now);
  } catch (err) {
    // A throw here reached the caller as if ssh-keyscan had failed, with its "install openssh-client" hint.
    return { ok: false, reason: `cannot check the certificate: ${(err as Error).message}` };
  }
}

function judgeCertificate(blob: Buffer, sessionKey: Buffer, trust: HostTrust, hostName: string, now: Date): CertificateVerdict {
  const sshpk = loadSshpk();
  let cert: sshpkModule.Certificate;
  let fields: CertificateFields;
  try {
    cert = sshpk.parseCertificate(Buffer.from(`${(blob.subarray(4, 4 + blob.readUInt32BE(0))).toString('latin1')} ${blob.toString('base64')}`), 'openssh');
    fields = readCertificateFields(blob);
  } catch (err) {
    return { ok: false, reason: `cannot read the certificate: ${(err as Error).message}` };
  }
  // As OpenSSH, revocation comes first: a revoked CA or key is refused whatever else holds.
  const revoked = revocationOf(cert, trust.revoked);
  if (revoked) return revoked;
  const certified = cert.subjectKey.toBuffer('rfc4253');
  if (!certified.equals(sessionKey)) return { ok: false, reason: 'the certificate is for another key than the one the server used' };
  if (!cert.subjects.every((s) => s.type === 'host')) return { ok: false, reason: 'it is a user certificate, not a host certificate' };
  const principals = cert.subjects.map((s) => s.hostname ?? String(s));
  if (!principals.some((p) => p.toLowerCase() === hostName.toLowerCase())) return { ok: false, reason: `the certificate's principals (${principals.join(', ')}) do not include ${hostName}` };
  const outOfDate = validityProblem(fields, now);
  if (outOfDate) return { ok: false, reason: `the certificate is out of date: ${outOfDate}` };
  for (const ca of trust.authorities) {
    const caKey = parsedKey(ca.key);
    if (caKey && cert.isSignedByKey(caKey)) return { ok: true, ca, keyId: (cert as unknown as { signatures?: { openssh?: { keyId?: string } } }).signatures?.openssh?.keyId ?? '' };
  }
  return { ok: false, reason: `no @cert-authority key trusted for ${hostName} signed it` };
}

/** The refusal when an @revoked line names the certificate's CA or its own key (plain, or as a certificate), as OpenSSH's check_key_not_revoked. */
function revocationOf(cert: sshpkModule.Certificate, revoked: readonly KnownHostsEntry[]): CertificateVerdict | null {
  const certifiedFp = cert.subjectKey.fingerprint('sha256');
  const caFp = cert.issuerKey?.fingerprint('sha256');
  for (const entry of revoked) {
    const plain = plainKeyOf(entry);
    const key = plain && parsedKey(plain);
    if (!key) continue;
    const at = `${entry.file}:${entry.line}`;
    if (caFp?.matches(key))
      return {
        ok: false,
        reason: `it is signed by a CA key marked @revoked in ${at} (CA ${caFp.toString()})`,
        hint: `re-sign the host's key with a CA that is not revoked (\`ssh-keygen -s NEW_CA -h -n HOST\`) and trust that CA with an @cert-authority line; remove ${at} only if the revocation was a mistake`,
      };
    if (certifiedFp.matches(key))
      return {
        ok: false,
        reason: `the certified host key is marked @revoked in ${at} (${certifiedFp.toString()})`,
        hint: `the host needs a new host key (and a certificate for it); remove ${at} only if the revocation was a mistake`,
      };
  }
  return null;
}

/** A plain key blob as sshpk reads it; null for a key sshpk cannot read (it signs and matches nothing). */
function parsedKey(blob: Buffer): sshpkModule.Key | null {
  try {
    return loadSshpk().parseKey(`${keyTypeOf(blob)} ${blob.toString('base64')}`, 'ssh');
  } catch {
    return null;
  }
}
