/**
 * The fields of an OpenSSH certificate blob that gridops reads itself (PROTOCOL.certkeys), without
 * sshpk: the key it certifies, and its validity period as the unsigned 64-bit seconds OpenSSH
 * compares (sshpk's Dates cannot hold 2^64 s, the `forever` of `ssh-keygen` without `-V`).
 */

/** A certificate's own fields, up to its validity period. */
export interface CertificateFields {
  /** The certified key as a plain key blob (`ssh-ed25519 …`), as its known_hosts line would hold it. */
  certifiedKey: Buffer;
  validAfter: bigint;
  validBefore: bigint;
}

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

/** Whether a key type names a certificate (`…-cert-v01@openssh.com`). */
export function isCertificateType(keyType: string): boolean {
  return keyType.endsWith('-cert-v01@openssh.com');
}

/** Reads a certificate blob; throws on one it cannot walk (truncated, or of an unknown type). */
export function readCertificateFields(blob: Buffer): CertificateFields {
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
  if (fields === undefined || !isCertificateType(certType)) throw new Error(`unsupported certificate type ${certType}`);
  skipString(); // nonce
  const keyStart = at;
  for (let i = 0; i < fields; i++) skipString();
  // The public fields are encoded as in the plain key's blob, which is its type then those fields.
  const typeField = Buffer.alloc(4 + plainType.length);
  typeField.writeUInt32BE(plainType.length, 0);
  typeField.write(plainType, 4, 'latin1');
  const certifiedKey = Buffer.concat([typeField, blob.subarray(keyStart, at)]);
  need(8 + 4);
  at += 8 + 4; // serial, certificate type
  skipString(); // key id
  skipString(); // principals
  need(16);
  return { certifiedKey, validAfter: blob.readBigUInt64BE(at), validBefore: blob.readBigUInt64BE(at + 8) };
}
