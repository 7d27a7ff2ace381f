/**
 * The validity period of an OpenSSH certificate, read from its blob as OpenSSH reads it
 * (PROTOCOL.certkeys): `valid after` and `valid before` are unsigned 64-bit seconds, and
 * `ssh-keygen` without `-V` writes 0 and 0xffffffffffffffff ("Valid: forever"). sshpk turns them
 * into Dates, which cannot hold 2^64 s: its validUntil is then an invalid Date, so every such
 * certificate read as expired. Kept as bigints here, compared as OpenSSH compares them.
 */

export interface CertificateValidity {
  validAfter: bigint;
  validBefore: bigint;
}

const FOREVER = 0xffffffffffffffffn;

/** How many length-prefixed public key fields follow the nonce, per plain key type. */
const PUBLIC_KEY_FIELDS: Record<string, number> = {
  'ssh-rsa': 2, // e, n
  'ssh-dss': 4, // p, q, g, y
  'ecdsa-sha2-nistp256': 2, // curve, point
  'ecdsa-sha2-nistp384': 2,
  'ecdsa-sha2-nistp521': 2,
  'ssh-ed25519': 1,
  'sk-ecdsa-sha2-nistp256@openssh.com': 3, // curve, point, application
  'sk-ssh-ed25519@openssh.com': 2, // key, application
};

/** Reads `valid after` and `valid before` from a certificate blob; throws on a blob it cannot walk. */
export function readCertificateValidity(blob: Buffer): CertificateValidity {
  let at = 0;
  const need = (n: number) => {
    if (at + n > blob.length) throw new Error('the certificate is truncated');
  };
  const skipString = (): Buffer => {
    need(4);
    const len = blob.readUInt32BE(at);
    need(4 + len);
    const s = blob.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    return s;
  };
  const certType = skipString().toString('latin1');
  const plainType = certType.replace(/-cert-v01@openssh\.com$/, '').replace(/^(sk-[a-z0-9-]+)$/, '$1@openssh.com');
  const fields = PUBLIC_KEY_FIELDS[plainType];
  if (fields === undefined || plainType === certType) throw new Error(`unsupported certificate type ${certType}`);
  skipString(); // nonce
  for (let i = 0; i < fields; i++) skipString();
  need(8 + 4);
  at += 8 + 4; // serial, certificate type
  skipString(); // key id
  skipString(); // principals
  need(16);
  return { validAfter: blob.readBigUInt64BE(at), validBefore: blob.readBigUInt64BE(at + 8) };
}

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
