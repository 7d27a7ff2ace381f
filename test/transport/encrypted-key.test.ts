import { generateKeyPairSync } from 'node:crypto';
import { isEncryptedKey } from '../../src/transport/encrypted-key.js';
import { ed25519Pair } from '../support/ssh2-ed25519.js';

/** Whether a key needs a passphrase, from its format's own marker (checked before connecting, without ssh2's parser). */
describe('isEncryptedKey', () => {
  it('OpenSSH keys: by their cipher name', () => {
    expect(isEncryptedKey(ed25519Pair({ passphrase: 'x', cipher: 'aes256-ctr', rounds: 2 }).private)).toBe(true);
    expect(isEncryptedKey(ed25519Pair().private)).toBe(false);
  });

  it('PEM keys: PKCS#8 ENCRYPTED PRIVATE KEY and the traditional Proc-Type header', () => {
    const pkcs8 = (cipher?: string) => generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem', ...(cipher ? { cipher, passphrase: 'x' } : {}) }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const traditional = (cipher?: string) => generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'sec1', format: 'pem', ...(cipher ? { cipher, passphrase: 'x' } : {}) }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    expect(isEncryptedKey(pkcs8('aes-256-cbc'))).toBe(true);
    expect(isEncryptedKey(pkcs8())).toBe(false);
    expect(isEncryptedKey(traditional('aes-256-cbc'))).toBe(true);
    expect(isEncryptedKey(traditional())).toBe(false);
  });

  it('PuTTY keys: their Encryption line; anything else is not called encrypted', () => {
    expect(isEncryptedKey('PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\n')).toBe(true);
    expect(isEncryptedKey('PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n')).toBe(false);
    expect(isEncryptedKey('ssh-ed25519 AAAA... user@host\n')).toBe(false);
  });
});
