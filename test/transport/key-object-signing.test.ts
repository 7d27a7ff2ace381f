/**
 * withKeyObjectSigning against ssh2's own signing: the same signature bytes where the scheme is
 * deterministic (ed25519, RSA PKCS#1 v1.5), a signature ssh2's verify accepts for ECDSA, with the
 * hash ssh2 names and with none.
 */
import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { withKeyObjectSigning } from '../../src/transport/key-object-signing.js';
import { ed25519Pair } from '../support/ssh2-ed25519.js';

type Parsed = ssh2.ParsedKey;

function parsed(text: string, passphrase?: string): Parsed {
  const key = ssh2.utils.parseKey(text, passphrase);
  if (key instanceof Error) throw key;
  return Array.isArray(key) ? key[0]! : key;
}

/** A fresh private key, and a second copy of it left with ssh2's own signing. */
function pair(generated: { private: string }, passphrase?: string): { fast: Parsed; plain: Parsed } {
  return { fast: withKeyObjectSigning(parsed(generated.private, passphrase)), plain: parsed(generated.private, passphrase) };
}
const { generateKeyPairSync } = ssh2.utils;

const data = randomBytes(96);

describe('withKeyObjectSigning', () => {
  it('ed25519: the signature ssh2 makes, from a key object of its own', () => {
    const { fast, plain } = pair(ed25519Pair());
    expect(Object.hasOwn(fast, 'sign')).toBe(true);
    expect(fast.sign(data)).toEqual(plain.sign(data));
  });

  it('RSA: the same signature with each hash ssh2 asks for, and with none (sha1, ssh-rsa)', () => {
    const { fast, plain } = pair(generateKeyPairSync('rsa', { bits: 2048 }));
    for (const hash of ['sha256', 'sha512', 'sha1', undefined]) expect(fast.sign(data, hash)).toEqual(plain.sign(data, hash));
  });

  it.each([256, 384, 521] as const)('ECDSA P-%i: a signature ssh2 verifies, with the curve’s own hash when none is named', (bits) => {
    const { fast, plain } = pair(generateKeyPairSync('ecdsa', { bits }));
    const signature = fast.sign(data);
    expect(signature).toBeInstanceOf(Buffer);
    expect(plain.verify(data, signature)).toBe(true);
    expect(plain.verify(randomBytes(96), signature)).toBe(false);
  });

  it('an encrypted key, once decrypted by its passphrase, signs the same', () => {
    const { fast, plain } = pair(ed25519Pair({ passphrase: 'correct horse', cipher: 'aes256-ctr', rounds: 4 }), 'correct horse');
    expect(fast.sign(data)).toEqual(plain.sign(data));
  });

  it('a failure comes back as an Error, as ssh2’s own sign returns one (ssh2 checks for that, it does not catch)', () => {
    const { fast } = pair(generateKeyPairSync('rsa', { bits: 2048 }));
    const result: unknown = fast.sign(data, 'no-such-hash');
    // node:crypto's errors come from Node's realm, not jest's: toBeInstanceOf(Error) would not see them.
    expect(Object.prototype.toString.call(result)).toBe('[object Error]');
    expect((result as Error).message).toMatch(/digest/i);
  });

  it('a public key is left as it is', () => {
    const { plain } = pair(ed25519Pair());
    const pub = parsed(plain.getPublicSSH().toString('base64').replace(/^/, 'ssh-ed25519 '));
    expect(withKeyObjectSigning(pub)).toBe(pub);
    expect(Object.hasOwn(pub, 'sign')).toBe(false);
  });
});
