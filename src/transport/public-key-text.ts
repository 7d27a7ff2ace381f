/**
 * Whether a key file's text is a public key (an OpenSSH `.pub` line, an RFC 4716 or a PEM public
 * key), read from its format's own marker without parsing it, so the check before connecting does
 * not load ssh2 (as encrypted-key.ts). gridops signs with a private key: a public one named as an
 * identity file would be offered, and refused by every host, as if authorized_keys lacked it.
 */
export function isPublicKeyText(text: string): boolean {
  const first = text.trimStart();
  // `ssh-ed25519 AAAA… comment`, `ecdsa-sha2-nistp256 …`, `sk-…@openssh.com …`, a host or user certificate.
  if (/^(ssh-[a-z0-9]+|ecdsa-sha2-[a-z0-9]+|sk-[a-z0-9@.-]+|[a-z0-9.-]+-cert-v01@openssh\.com)[ \t]+AAAA[A-Za-z0-9+/]*={0,2}(\s|$)/.test(first)) return true;
  return /^(---- BEGIN SSH2 PUBLIC KEY ----|-----BEGIN (RSA )?PUBLIC KEY-----)/.test(first);
}
