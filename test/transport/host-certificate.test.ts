import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchHostCertificates, verifyHostCertificate } from '../../src/transport/host-certificate.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';

// Real keys and certificates made by ssh-keygen, as sshd would serve them with HostCertificate.
const dir = mkdtempSync(join(tmpdir(), 'gridops-cert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeKey(name: string, type = 'ed25519'): { blob: Buffer; pub: string; file: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const pub = readFileSync(`${file}.pub`, 'utf8').trim();
  return { blob: Buffer.from(pub.split(' ')[1]!, 'base64'), pub, file };
}
/** `ssh-keygen -s CA -I ID -h -n PRINCIPALS [-V VALIDITY] key.pub`; the certificate's line and blob. */
function certify(key: { file: string }, ca: { file: string }, principals: string, validity?: string): { line: string; blob: Buffer } {
  execFileSync('ssh-keygen', ['-q', '-s', ca.file, '-I', 'host-id', '-h', '-n', principals, ...(validity ? ['-V', validity] : []), `${key.file}.pub`]);
  const line = readFileSync(`${key.file}-cert.pub`, 'utf8').trim();
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64') };
}
/** What known_hosts trusts for h1: the @cert-authority and @revoked lines that name it. */
function trustFor(text: string) {
  const kh = KnownHosts.fromText(text, 'kh');
  return { authorities: kh.certificateAuthorities('h1', 22), revoked: kh.revokedKeys('h1', 22) };
}

describe('verifyHostCertificate', () => {
  const ca = makeKey('ca');

  it('accepts a certificate made without -V (valid forever), as OpenSSH does', () => {
    const host = makeKey('forever');
    const cert = certify(host, ca, 'h1');
    expect(execFileSync('ssh-keygen', ['-L', '-f', `${host.file}-cert.pub`], { encoding: 'utf8' })).toMatch(/Valid: forever/);
    const v = verifyHostCertificate(cert.blob, host.blob, trustFor(`@cert-authority * ${ca.pub}`), 'h1', new Date('2100-01-01T00:00:00Z'));
    expect(v).toMatchObject({ ok: true, keyId: 'host-id' });
  });

  it.each(['rsa', 'ecdsa'])('reads the validity of a %s host certificate', (type) => {
    const host = makeKey(`forever-${type}`, type);
    const trust = trustFor(`@cert-authority * ${ca.pub}`);
    expect(verifyHostCertificate(certify(host, ca, 'h1').blob, host.blob, trust, 'h1')).toMatchObject({ ok: true });
    const expired = verifyHostCertificate(certify(host, ca, 'h1', '20200101:20210101').blob, host.blob, trust, 'h1');
    expect(expired).toMatchObject({ ok: false, reason: expect.stringMatching(/expired on 2021-01-01/) });
  });

  it('says a forever certificate not yet valid, and one expired, in words and never throws', () => {
    const host = makeKey('dated');
    const trust = trustFor(`@cert-authority * ${ca.pub}`);
    const later = certify(host, ca, 'h1', '20990101:forever');
    const notYet = verifyHostCertificate(later.blob, host.blob, trust, 'h1', new Date('2030-01-01T00:00:00Z'));
    expect(notYet).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid before 2099-01-01T00:00:00(\.000)?Z \(valid until forever\)/) });
    const past = certify(host, ca, 'h1', '20200101:20210101');
    const expired = verifyHostCertificate(past.blob, host.blob, trust, 'h1', new Date('2030-01-01T00:00:00Z'));
    expect(expired).toMatchObject({ ok: false, reason: expect.stringMatching(/expired on 2021-01-01/) });
  });

  it('refuses a certificate signed by a CA key marked @revoked, naming both lines and what to do', () => {
    const host = makeKey('revoked-ca');
    const cert = certify(host, ca, 'h1', '-5m:+1h');
    const v = verifyHostCertificate(cert.blob, host.blob, trustFor(`@cert-authority * ${ca.pub}\n@revoked * ${ca.pub}`), 'h1');
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reason).toMatch(/signed by a CA key marked @revoked in kh:2/);
    expect(v.hint).toMatch(/re-sign/);
  });

  it('refuses a certificate whose own key is @revoked, as a plain key or as the certificate itself', () => {
    const host = makeKey('revoked-key');
    const cert = certify(host, ca, 'h1', '-5m:+1h');
    for (const revokedLine of [`@revoked h1 ${host.pub}`, `@revoked h1 ${cert.line}`]) {
      const v = verifyHostCertificate(cert.blob, host.blob, trustFor(`@cert-authority * ${ca.pub}\n${revokedLine}`), 'h1');
      expect(v).toMatchObject({ ok: false, reason: expect.stringMatching(/the certified host key is marked @revoked in kh:2/) });
    }
  });

  it('keeps trusting the CA where the @revoked line names other hosts', () => {
    const host = makeKey('revoked-elsewhere');
    const cert = certify(host, ca, 'h1', '-5m:+1h');
    const v = verifyHostCertificate(cert.blob, host.blob, trustFor(`@cert-authority * ${ca.pub}\n@revoked other ${ca.pub}`), 'h1');
    expect(v.ok).toBe(true);
  });
});

describe('fetchHostCertificates', () => {
  it('ends ssh-keyscan\'s options before the host name, and passes it no GRIDOPS_ secret', async () => {
    // A stand-in ssh-keyscan first on PATH, recording its arguments and environment.
    const bin = join(dir, 'bin');
    const record = join(dir, 'keyscan-record');
    execFileSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'ssh-keyscan'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\nenv >> '${record}'\n`);
    chmodSync(join(bin, 'ssh-keyscan'), 0o755);
    const saved = { PATH: process.env.PATH, pw: process.env.GRIDOPS_BECOME_PASSWORD };
    process.env.PATH = `${bin}:${saved.PATH}`;
    process.env.GRIDOPS_BECOME_PASSWORD = 'sudo-secret-4711';
    try {
      await fetchHostCertificates('-f/etc/hosts', 2222, 1000);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.pw === undefined) delete process.env.GRIDOPS_BECOME_PASSWORD;
      else process.env.GRIDOPS_BECOME_PASSWORD = saved.pw;
    }
    const lines = readFileSync(record, 'utf8').split('\n');
    const end = lines.indexOf('--');
    expect(end).toBeGreaterThan(0);
    expect(lines[end + 1]).toBe('-f/etc/hosts');
    expect(lines.slice(0, end)).toEqual(['-c', '-p', '2222', '-T', '1']);
    expect(readFileSync(record, 'utf8')).not.toContain('sudo-secret-4711');
    expect(lines.some((l) => l.startsWith('GRIDOPS_'))).toBe(false);
    expect(lines.some((l) => l.startsWith('PATH='))).toBe(true);
  });
});
