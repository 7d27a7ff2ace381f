/**
 * ed25519 keys from ssh2's own generator, for tests, but only well-formed ones. ssh2 1.17's
 * `generateKeyPairSync('ed25519')` strips leading zero bytes from the public key (mscdex/ssh2
 * issues 1390 and 1513), so one key in 256 has a 31-byte public key (7 of 3000 here on
 * 2026-12-04), which its own parser and OpenSSH's `ssh-keygen -y` both refuse ("Malformed
 * OpenSSH private key"; "error in libcrypto"); a test that used such a key failed at random (CI
 * of 2026-12-04, ssh2-client-parts.test.ts). gridops' own keys do not come from it (src/lab/keys.ts).
 */
import { createRequire } from 'node:module';

const ssh2 = createRequire(import.meta.url)('ssh2') as typeof import('ssh2');

type Options = { passphrase: string; cipher: string; rounds: number };

/** An ed25519 pair ssh2 generated and parses back (with `options.passphrase` when encrypted). */
export function ed25519Pair(options?: Options): { private: string; public: string } {
  for (let attempt = 0; attempt < 100; attempt++) {
    const pair = options ? ssh2.utils.generateKeyPairSync('ed25519', options) : ssh2.utils.generateKeyPairSync('ed25519');
    const parsed = ssh2.utils.parseKey(pair.private, options?.passphrase);
    const blob = Buffer.from(pair.public.split(' ')[1]!, 'base64');
    // The public blob: string "ssh-ed25519" (4 + 11 bytes), then string key (4 + 32 bytes).
    if (!(parsed instanceof Error) && blob.length === 51) return pair;
  }
  throw new Error('ssh2 generated no well-formed ed25519 key in 100 tries');
}
