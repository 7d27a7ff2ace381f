/**
 * Whether a private key file's text is encrypted (needs a passphrase), read from its format's own
 * marker without parsing the key, so the check before connecting does not load ssh2: OpenSSH's
 * cipher name (not `none`), PEM's `Proc-Type: 4,ENCRYPTED`, PKCS#8's ENCRYPTED PRIVATE KEY, PuTTY's
 * `Encryption:` line. A text in none of these formats is not called encrypted (the connect says why it cannot be used).
 */
export function isEncryptedKey(text: string): boolean {
  const openssh = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (openssh) return opensshCipher(Buffer.from(openssh[1]!.replace(/\s+/g, ''), 'base64')) !== 'none';
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text)) return true;
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return /^Proc-Type:\s*4,\s*ENCRYPTED/m.test(text);
  const putty = /^Encryption:\s*(\S+)/m.exec(text);
  return putty !== null && putty[1] !== 'none';
}

const OPENSSH_MAGIC = 'openssh-key-v1\0';

/** The cipher name of an `openssh-key-v1` blob (`none` when unencrypted), or undefined for another blob. */
function opensshCipher(blob: Buffer): string | undefined {
  if (blob.subarray(0, OPENSSH_MAGIC.length).toString('latin1') !== OPENSSH_MAGIC || blob.length < OPENSSH_MAGIC.length + 4) return undefined;
  const length = blob.readUInt32BE(OPENSSH_MAGIC.length);
  return blob.subarray(OPENSSH_MAGIC.length + 4, OPENSSH_MAGIC.length + 4 + length).toString('latin1');
}
