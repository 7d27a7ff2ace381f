import { createHash } from 'node:crypto';

/** Domain separation: this hash of the key is a fingerprint, equal to no other hash gridops or anyone makes of it. */
const FINGERPRINT_PREFIX = 'gridops grid-key fingerprint v1\0';

/**
 * What tells one grid key from another without being it, as ssh's `SHA256:…` tells host keys
 * apart: the first 16 bytes, in hex, of SHA-256 over a domain-separation prefix and the key file's
 * bytes (what every node is given). The state records it, and plans show it. It reveals nothing of a
 * key of 32 random bytes (what gridops creates, `openssl rand -hex 32`): SHA-256 cannot be
 * inverted, and guessing 256 bits to match it is out of reach. A hand-written key of low entropy
 * could be tested guess by guess against it, as against any hash of it; the state file is mode
 * 0600 beside the key, and such a key is weak against any captured agent packet anyway (HMAC).
 */
export function gridKeyFingerprint(key: Buffer): string {
  return createHash('sha256').update(FINGERPRINT_PREFIX).update(key).digest().subarray(0, 16).toString('hex');
}
