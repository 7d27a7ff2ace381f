/**
 * An identity's signatures made with a key object built once, not from its PEM text each time.
 *
 * Why: ssh2's ParsedKey.sign hands the key's PEM text to node:crypto, which decodes it again for
 * every signature, one per connection: 0.81 ms of the client's CPU per ed25519 signature, against
 * 0.07 ms with a KeyObject (200 signatures each, 2026-12-03). That is 37 ms of a 50-host run's
 * client and 0.37 s of a 500-host one's, on cores the lab's hosts share.
 *
 * The signature is the same one: node:crypto signs the same key with the same hash either way
 * (ed25519 and RSA PKCS#1 v1.5 are deterministic; ECDSA comes out DER-encoded both ways, which
 * ssh2 converts to SSH's form as before). The hash ssh2 asks for is used; without one, the key
 * type's own (ssh2's defaults). A key of a type not listed here, or one node:crypto cannot
 * decode, keeps ssh2's own signing.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { ParsedKey } from 'ssh2';

/** The hash each key type signs with when ssh2 names none (as ssh2's key parser sets them). */
const DEFAULT_HASH: Readonly<Record<string, string | null>> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'ssh-rsa': 'sha1',
  'ssh-dss': 'sha1',
};

/**
 * `key` with its `sign` made through a KeyObject, built at its first signature (a default identity
 * file that never signs costs nothing more); the key as it was when it cannot be (no private part,
 * an unlisted type). A key node:crypto cannot decode keeps ssh2's own signing.
 */
export function withKeyObjectSigning(key: ParsedKey): ParsedKey {
  if (!key.isPrivateKey() || !Object.hasOwn(DEFAULT_HASH, key.type)) return key;
  const ownSign = key.sign.bind(key);
  const defaultHash = DEFAULT_HASH[key.type] ?? null;
  let keyObject: KeyObject | null | undefined;
  // ParsedKey.sign returns an Error rather than throwing one; ssh2 checks for that.
  const signWithKeyObject = (data: Buffer, algo?: string): Buffer | Error => {
    if (keyObject === undefined) {
      try {
        keyObject = createPrivateKey(key.getPrivatePEM());
      } catch {
        keyObject = null;
      }
    }
    if (keyObject === null) return ownSign(data, algo);
    try {
      return sign(typeof algo === 'string' && algo !== '' ? algo : defaultHash, data, keyObject);
    } catch (e) {
      return e as Error;
    }
  };
  Object.defineProperty(key, 'sign', { value: signWithKeyObject, configurable: true, writable: true });
  return key;
}
