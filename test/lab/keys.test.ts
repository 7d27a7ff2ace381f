import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { generateEd25519 } from '../../src/lab/keys.js';

/** Reads back our OpenSSH private key to check its layout (PROTOCOL.key). */
function decode(pem: string) {
  const b64 = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const buf = Buffer.from(b64, 'base64');
  let off = 0;
  const magic = buf.subarray(0, 15).toString('latin1');
  off = 15;
  const str = () => {
    const len = buf.readUInt32BE(off);
    const v = buf.subarray(off + 4, off + 4 + len);
    off += 4 + len;
    return v;
  };
  const cipher = str().toString();
  const kdf = str().toString();
  str();
  const n = buf.readUInt32BE(off);
  off += 4;
  const pub = str();
  const priv = str();
  return { magic, cipher, kdf, n, pub, priv };
}

describe('generateEd25519', () => {
  test('writes an unencrypted openssh-key-v1 whose keys sign and verify', () => {
    const k = generateEd25519('root@node-01');
    expect(k.privateKey.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----\n')).toBe(true);
    expect(k.privateKey.trimEnd().endsWith('-----END OPENSSH PRIVATE KEY-----')).toBe(true);
    for (const line of k.privateKey.split('\n').slice(1, -2)) expect(line.length).toBeLessThanOrEqual(70);
    const d = decode(k.privateKey);
    expect(d).toMatchObject({ magic: 'openssh-key-v1\0', cipher: 'none', kdf: 'none', n: 1 });
    expect(d.priv.length % 8).toBe(0);
    expect(d.priv.readUInt32BE(0)).toBe(d.priv.readUInt32BE(4));
    const [type, blob, comment] = k.publicKey.trim().split(' ');
    expect(type).toBe('ssh-ed25519');
    expect(comment).toBe('root@node-01');
    expect(Buffer.from(blob!, 'base64').equals(d.pub)).toBe(true);

    // The seed inside the private block and the public key form a working pair.
    const pub32 = d.pub.subarray(d.pub.length - 32);
    const seedOff = 8 + 4 + 11 + 4 + 32 + 4;
    const seed = d.priv.subarray(seedOff, seedOff + 32);
    const der = (prefix: string, key: Buffer) => Buffer.concat([Buffer.from(prefix, 'hex'), key]);
    const privKey = createPrivateKey({ key: der('302e020100300506032b657004220420', seed), format: 'der', type: 'pkcs8' });
    const pubKey = createPublicKey({ key: der('302a300506032b6570032100', pub32), format: 'der', type: 'spki' });
    const sig = sign(null, Buffer.from('lab'), privKey);
    expect(verify(null, Buffer.from('lab'), pubKey, sig)).toBe(true);
  });

  test('every key is different', () => {
    const keys = new Set(Array.from({ length: 20 }, () => generateEd25519('x').publicKey));
    expect(keys.size).toBe(20);
  });
});
