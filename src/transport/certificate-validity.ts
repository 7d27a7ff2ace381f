/**
 * The validity period of an OpenSSH certificate, judged as OpenSSH judges it: `valid after` and
 * `valid before` are unsigned 64-bit seconds, and `ssh-keygen` without `-V` writes 0 and
 * 0xffffffffffffffff ("Valid: forever"). sshpk turns them into Dates, which cannot hold 2^64 s:
 * its validUntil is then an invalid Date, so every such certificate read as expired. Kept as
 * bigints here (read by certificate-blob.ts).
 */
import type { CertificateFields } from './certificate-blob.js';

/** `valid after` and `valid before`, as read by readCertificateFields. */
export type CertificateValidity = Pick<CertificateFields, 'validAfter' | 'validBefore'>;

const FOREVER = 0xffffffffffffffffn;

/** Why the certificate is not valid at `now`, or null when it is (valid after <= now < valid before, as OpenSSH). */
export function validityProblem(validity: CertificateValidity, now: Date): string | null {
  const seconds = BigInt(Math.floor(now.getTime() / 1000));
  if (seconds < validity.validAfter) return `it is not valid before ${timeOf(validity.validAfter)} (valid until ${timeOf(validity.validBefore)})`;
  if (seconds >= validity.validBefore) return `it expired on ${timeOf(validity.validBefore)} (valid from ${timeOf(validity.validAfter)})`;
  return null;
}

/** A bound as ssh-keygen -L says it: `forever` for the open end, else the UTC time. */
function timeOf(seconds: bigint): string {
  if (seconds === FOREVER) return 'forever';
  // Past what a Date holds (about 275 000 years) is forever in all but name.
  const ms = Number(seconds) * 1000;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : 'forever';
}
