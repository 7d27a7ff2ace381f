/**
 * Host certificates (`@cert-authority` in known_hosts). ssh2 negotiates plain host keys only, so
 * the server proves it holds its plain key in the key exchange, and gridops then asks the same
 * server for the certificate of that key with OpenSSH's `ssh-keyscan -c`. The certificate is
 * trusted only if it certifies exactly the key the session was made with, is a host certificate,
 * was signed by a CA that known_hosts trusts for this host name, names the host among its
 * principals, and is within its validity period. A forged or replayed certificate fails one of
 * these; the keyscan connection itself needs no trust. Parsing and signature checks: `sshpk`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import type sshpkModule from 'sshpk';

/** sshpk, loaded only when a host certificate is checked (it costs start-up time every run would pay). */
const loadSshpk = (): typeof sshpkModule => createRequire(import.meta.url)('sshpk') as typeof sshpkModule;
import type { KnownHostsEntry } from './known-hosts.js';

const run = promisify(execFile);

export type CertificateVerdict = { ok: true; ca: KnownHostsEntry; keyId: string } | { ok: false; reason: string };

/** The host certificates a server offers, as SSH wire blobs (empty when it has none). */
export async function fetchHostCertificates(host: string, port: number, timeoutMs: number): Promise<Buffer[]> {
  const { stdout } = await run('ssh-keyscan', ['-c', '-p', String(port), '-T', String(Math.max(1, Math.ceil(timeoutMs / 1000))), host], { timeout: timeoutMs + 2000 });
  const blobs: Buffer[] = [];
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const i = fields.findIndex((f) => f.endsWith('-cert-v01@openssh.com'));
    if (i >= 0 && fields[i + 1]) blobs.push(Buffer.from(fields[i + 1]!, 'base64'));
  }
  return blobs;
}

/** Checks one certificate blob against the key the session used, the trusted CAs and the host name. Pure but for `now`. */
export function verifyHostCertificate(blob: Buffer, sessionKey: Buffer, cas: readonly KnownHostsEntry[], hostName: string, now = new Date()): CertificateVerdict {
  const sshpk = loadSshpk();
  let cert: sshpkModule.Certificate;
  try {
    cert = sshpk.parseCertificate(Buffer.from(`${(blob.subarray(4, 4 + blob.readUInt32BE(0))).toString('latin1')} ${blob.toString('base64')}`), 'openssh');
  } catch (err) {
    return { ok: false, reason: `cannot read the certificate: ${(err as Error).message}` };
  }
  const certified = cert.subjectKey.toBuffer('rfc4253');
  if (!certified.equals(sessionKey)) return { ok: false, reason: 'the certificate is for another key than the one the server used' };
  if (!cert.subjects.every((s) => s.type === 'host')) return { ok: false, reason: 'it is a user certificate, not a host certificate' };
  const principals = cert.subjects.map((s) => s.hostname ?? String(s));
  if (!principals.some((p) => p.toLowerCase() === hostName.toLowerCase())) return { ok: false, reason: `the certificate's principals (${principals.join(', ')}) do not include ${hostName}` };
  if (cert.isExpired(now)) return { ok: false, reason: `the certificate is valid from ${cert.validFrom.toISOString()} to ${cert.validUntil.toISOString()} only` };
  for (const ca of cas) {
    try {
      if (cert.isSignedByKey(sshpk.parseKey(`${ca.keyType} ${ca.key.toString('base64')}`, 'ssh'))) return { ok: true, ca, keyId: (cert as unknown as { signatures?: { openssh?: { keyId?: string } } }).signatures?.openssh?.keyId ?? '' };
    } catch {
      /* a CA line whose key sshpk cannot read signs nothing */
    }
  }
  return { ok: false, reason: `no @cert-authority key trusted for ${hostName} signed it` };
}
