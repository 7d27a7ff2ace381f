import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KnownHosts,
  checkHostKey,
  fingerprintSha256,
  formatKnownHostsLine,
  knownHostsName,
  parseKnownHosts,
  keyTypeOf,
} from '../../src/transport/known-hosts.js';

// Real keys made by ssh-keygen, so the fingerprints can be compared with its own output.
const dir = mkdtempSync(join(tmpdir(), 'gridops-kh-'));
function makeKey(name: string, type: string): { blob: Buffer; pub: string; file: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const pub = readFileSync(`${file}.pub`, 'utf8').trim();
  return { blob: Buffer.from(pub.split(' ')[1]!, 'base64'), pub, file };
}
const ed = makeKey('ed', 'ed25519');
const ed2 = makeKey('ed2', 'ed25519');
const ec = makeKey('ec', 'ecdsa');
const rsa = makeKey('rsa', 'rsa');
const b64 = (k: { blob: Buffer }) => k.blob.toString('base64');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprintSha256', () => {
  it.each([
    ['ed25519', ed],
    ['ecdsa', ec],
    ['rsa', rsa],
  ])('matches ssh-keygen -lf for %s', (_t, k) => {
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${k.file}.pub`], { encoding: 'utf8' });
    expect(out.split(' ')[1]).toBe(fingerprintSha256(k.blob));
    expect(fingerprintSha256(k.blob)).not.toMatch(/=$/);
  });
});

describe('parseKnownHosts', () => {
  it('reads plain, port, list, marker and comment lines and reports malformed ones without throwing', () => {
    const text = [
      '# a comment',
      '',
      `web1,10.0.0.1 ssh-ed25519 ${b64(ed)} root@web1`,
      `[web2]:2222 ecdsa-sha2-nistp256 ${b64(ec)}`,
      `@cert-authority *.example.com ssh-rsa ${b64(rsa)}`,
      `@revoked * ssh-ed25519 ${b64(ed2)}`,
      `@bogus web3 ssh-ed25519 ${b64(ed)}`,
      'web4 ssh-ed25519',
      `web5 ssh-ed25519 !!!notbase64`,
      `web6 ssh-rsa ${b64(ed)}`,
      `web7 x-unknown-type ${b64(ed)}`,
      `|1|short|hash ssh-ed25519 ${b64(ed)}`,
      `  web8\tssh-ed25519   ${b64(ed)}   a comment with spaces\r`,
    ].join('\n');
    const { entries, problems } = parseKnownHosts(text, 'kh');
    expect(entries.map((e) => [e.line, e.hosts.join(','), e.marker ?? '-', e.keyType])).toEqual([
      [3, 'web1,10.0.0.1', '-', 'ssh-ed25519'],
      [4, '[web2]:2222', '-', 'ecdsa-sha2-nistp256'],
      [5, '*.example.com', 'cert-authority', 'ssh-rsa'],
      [6, '*', 'revoked', 'ssh-ed25519'],
      [13, 'web8', '-', 'ssh-ed25519'],
    ]);
    expect(entries[4]!.comment).toBe('a comment with spaces');
    expect(problems.map((p) => p.line)).toEqual([7, 8, 9, 10, 11, 12]);
    expect(problems.every((p) => p.file === 'kh')).toBe(true);
  });
});

describe('checkHostKey', () => {
  const text = [
    `web1,10.0.0.1 ssh-ed25519 ${b64(ed)}`,
    `[web2]:2222 ssh-ed25519 ${b64(ed)}`,
    `*.lab,!bad.lab ssh-ed25519 ${b64(ed)}`,
    `multi ssh-ed25519 ${b64(ed)}`,
    `multi ecdsa-sha2-nistp256 ${b64(ec)}`,
    `@revoked evil ssh-ed25519 ${b64(ed2)}`,
    `evil ssh-ed25519 ${b64(ed2)}`,
    `@cert-authority * ssh-rsa ${b64(rsa)}`,
  ].join('\n');
  const { entries } = parseKnownHosts(text, 'kh');

  it('matches plain names case-insensitively and in comma lists', () => {
    expect(checkHostKey(entries, 'WEB1', 22, ed.blob).kind).toBe('match');
    expect(checkHostKey(entries, '10.0.0.1', 22, ed.blob).kind).toBe('match');
  });
  it('files non-22 ports under [host]:port only', () => {
    expect(knownHostsName('Web2', 2222)).toBe('[web2]:2222');
    expect(checkHostKey(entries, 'web2', 2222, ed.blob).kind).toBe('match');
    expect(checkHostKey(entries, 'web2', 22, ed.blob).kind).toBe('unknown');
    expect(checkHostKey(entries, 'web1', 2222, ed.blob).kind).toBe('unknown');
  });
  it('honours wildcards and negation', () => {
    expect(checkHostKey(entries, 'n1.lab', 22, ed.blob).kind).toBe('match');
    expect(checkHostKey(entries, 'bad.lab', 22, ed.blob).kind).toBe('unknown');
    expect(checkHostKey(entries, 'lab', 22, ed.blob).kind).toBe('unknown');
  });
  it('reports a different key of the same type as changed, naming the line', () => {
    const v = checkHostKey(entries, 'web1', 22, ed2.blob);
    expect(v.kind).toBe('changed');
    if (v.kind === 'changed') expect(v.recorded[0]!.line).toBe(1);
  });
  it('is strict: a key of an unrecorded type for a known host is changed, not unknown', () => {
    expect(checkHostKey(entries, 'web1', 22, rsa.blob).kind).toBe('changed');
    const v = checkHostKey(entries, 'multi', 22, ed2.blob);
    expect(v.kind === 'changed' && v.recorded.map((e) => e.keyType)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    expect(checkHostKey(entries, 'multi', 22, ec.blob).kind).toBe('match');
  });
  it('refuses revoked keys even when also listed as known', () => {
    expect(checkHostKey(entries, 'evil', 22, ed2.blob).kind).toBe('revoked');
  });
  it('refuses a key whose certificate is @revoked, as OpenSSH (a certificate stands for the key it certifies)', () => {
    execFileSync('ssh-keygen', ['-q', '-s', rsa.file, '-I', 'cert-of-ec', '-h', '-n', 'signed', `${ec.file}.pub`]);
    const certLine = readFileSync(`${ec.file}-cert.pub`, 'utf8').trim();
    const { entries: withCert, problems } = parseKnownHosts(`signed ecdsa-sha2-nistp256 ${b64(ec)}\n@revoked signed ${certLine}`, 'kh');
    expect(problems).toEqual([]);
    const v = checkHostKey(withCert, 'signed', 22, ec.blob);
    expect(v.kind === 'revoked' && v.entry.line).toBe(2);
    expect(checkHostKey(withCert, 'signed', 22, ed.blob).kind).toBe('changed');
  });
  it('ignores @cert-authority lines', () => {
    expect(checkHostKey(entries, 'anything', 22, rsa.blob).kind).toBe('unknown');
  });
});

describe('hashed entries', () => {
  it('matches lines hashed by ssh-keygen -H, with and without a port', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `node7.lab ssh-ed25519 ${b64(ed)}\n[node8.lab]:2200 ecdsa-sha2-nistp256 ${b64(ec)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('node7');
    const { entries, problems } = parseKnownHosts(text, file);
    expect(problems).toEqual([]);
    expect(checkHostKey(entries, 'node7.lab', 22, ed.blob).kind).toBe('match');
    expect(checkHostKey(entries, 'NODE7.lab', 22, ed2.blob).kind).toBe('changed');
    expect(checkHostKey(entries, 'node8.lab', 2200, ec.blob).kind).toBe('match');
    expect(checkHostKey(entries, 'node8.lab', 22, ec.blob).kind).toBe('unknown');
  });
  it('writes hashed lines that ssh-keygen -F finds', () => {
    const file = join(dir, 'ours-hashed');
    writeFileSync(file, formatKnownHostsLine('n9.lab', 2201, ed.blob, { hash: true }) + '\n');
    const out = execFileSync('ssh-keygen', ['-F', '[n9.lab]:2201', '-f', file], { encoding: 'utf8' });
    expect(out).toContain('found');
  });
});

describe('KnownHosts.add', () => {
  it('appends, creates the file with mode 0600, and the next check matches', async () => {
    const file = join(dir, 'sub', 'known_hosts');
    const kh = await KnownHosts.load(file);
    expect(kh.check('h1', 22, ed.blob).kind).toBe('unknown');
    const [a, b] = await Promise.all([kh.add('h1', 22, ed.blob), kh.add('h2', 2022, ec.blob)]);
    expect([a, b].map((v) => v.kind === 'added' && v.entry.line)).toEqual([1, 2]);
    expect(kh.check('h1', 22, ed.blob).kind).toBe('match');
    const again = await KnownHosts.load(file);
    expect(again.check('h2', 2022, ec.blob).kind).toBe('match');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const out = execFileSync('ssh-keygen', ['-F', '[h2]:2022', '-f', file], { encoding: 'utf8' });
    expect(out).toContain('line 2');
  });
  it('appends through a symlinked known_hosts as OpenSSH does: the link stays, its target keeps its mode and lines added meanwhile', async () => {
    const target = join(dir, 'dotfiles-known_hosts');
    const link = join(dir, 'linked-known_hosts');
    writeFileSync(target, `h0 ssh-ed25519 ${b64(ed)}`); // no final newline, as a hand edit may leave it
    chmodSync(target, 0o644);
    symlinkSync(target, link);
    const kh = await KnownHosts.load(link);
    // Another run (or ssh) records a host after this one read the file.
    appendFileSync(target, `\nother ecdsa-sha2-nistp256 ${b64(ec)}\n`);
    const added = await kh.add('h1', 22, ed2.blob);
    if (added.kind !== 'added') throw new Error(`not added: ${added.kind}`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(readFileSync(target, 'utf8')).toBe(`h0 ssh-ed25519 ${b64(ed)}\nother ecdsa-sha2-nistp256 ${b64(ec)}\nh1 ssh-ed25519 ${b64(ed2)}\n`);
    expect(added.entry.line).toBe(3);
    expect(execFileSync('ssh-keygen', ['-F', 'h1', '-f', link], { encoding: 'utf8' })).toContain('line 3');
  });
  it('loses no line when two runs append to the same file at once', async () => {
    const file = join(dir, 'two-runs');
    const [first, second] = await Promise.all([KnownHosts.load(file), KnownHosts.load(file)]);
    const hosts = Array.from({ length: 20 }, (_, i) => i);
    await Promise.all(hosts.flatMap((i) => [first.add(`a${i}`, 22, ed.blob), second.add(`b${i}`, 22, ec.blob, { hash: true })]));
    const again = await KnownHosts.load(file);
    expect(again.problems).toEqual([]);
    for (const i of hosts) {
      expect(again.check(`a${i}`, 22, ed.blob).kind).toBe('match');
      expect(again.check(`b${i}`, 22, ec.blob).kind).toBe('match');
    }
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(41);
  });
  it('refuses a second, different key for a host that another run recorded after this one read the file', async () => {
    // Two runs (or two handshakes to one address) both saw the host as unknown before either recorded it.
    const file = join(dir, 'race-two-keys');
    const [first, second] = await Promise.all([KnownHosts.load(file), KnownHosts.load(file)]);
    expect(first.check('h1', 22, ed.blob).kind).toBe('unknown');
    expect(second.check('h1', 22, ed2.blob).kind).toBe('unknown');
    const [a, b] = await Promise.all([first.add('h1', 22, ed.blob), second.add('h1', 22, ed2.blob)]);
    // Which run takes the file's lock first is the scheduler's: that one records its key, the other is refused.
    const [won, lost, wonKey, lostKey, refused] = a.kind === 'added' ? [a, b, ed, ed2, second] : [b, a, ed2, ed, first];
    expect(won.kind).toBe('added');
    expect(lost).toMatchObject({ kind: 'changed', recorded: [{ file, line: 1, key: wonKey.blob }] });
    expect(readFileSync(file, 'utf8')).toBe(`h1 ssh-ed25519 ${b64(wonKey)}\n`);
    // The run that was refused now knows the recorded key too.
    expect(refused.check('h1', 22, lostKey.blob).kind).toBe('changed');
    expect(refused.check('h1', 22, wonKey.blob).kind).toBe('match');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
  it('records the same key once when two runs accept it at once', async () => {
    const file = join(dir, 'race-same-key');
    const [first, second] = await Promise.all([KnownHosts.load(file), KnownHosts.load(file)]);
    const [a, b] = await Promise.all([first.add('h1', 2022, ec.blob, { hash: true }), second.add('h1', 2022, ec.blob)]);
    // Which run takes the file's lock first is up to the scheduler: one adds the key, the other finds it.
    expect([a.kind, b.kind].sort()).toEqual(['added', 'match']);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(2);
    // In one run as well: two handshakes to one address.
    const [c, d] = await Promise.all([first.add('h2', 22, ed.blob), first.add('h2', 22, ed.blob)]);
    expect([c.kind, d.kind]).toEqual(['added', 'match']);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
  });
  it('waits for another run\'s lock on the file, and takes over one left by a process that is gone', async () => {
    const file = join(dir, 'locked');
    const kh = await KnownHosts.load(file);
    // A run that died while holding the lock: its pid is no longer running.
    const dead = execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim();
    writeFileSync(`${file}.lock`, `${JSON.stringify({ pid: Number(dead), host: hostname() })}\n`);
    expect((await kh.add('h1', 22, ed.blob)).kind).toBe('added');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
  it('takes over at once a lock that names this very pid or a pid now another process (a crash in a container, a reboot), as the state lock does', async () => {
    const pidns = readlinkSync('/proc/self/ns/pid');
    // A process that had our pid, crashed holding the lock, and whose container was restarted.
    const own = join(dir, 'locked-own-pid');
    const kh = await KnownHosts.load(own);
    writeFileSync(`${own}.lock`, `${JSON.stringify({ pid: process.pid, host: hostname(), pidns })}\n`);
    const started = Date.now();
    expect((await kh.add('h1', 22, ed.blob)).kind).toBe('added');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(existsSync(`${own}.lock`)).toBe(false);
    // A live pid whose start is not the holder's: the pid came round again.
    const reused = join(dir, 'locked-reused-pid');
    const kh2 = await KnownHosts.load(reused);
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    writeFileSync(`${reused}.lock`, `${JSON.stringify({ pid: process.ppid, host: hostname(), pidns, process: `${bootId}:1` })}\n`);
    const again = Date.now();
    expect((await kh2.add('h1', 22, ed.blob)).kind).toBe('added');
    expect(Date.now() - again).toBeLessThan(2000);
  });
  it('adds a newline before its line when the file does not end with one', async () => {
    const file = join(dir, 'no-final-newline');
    const kh = await KnownHosts.load(file);
    writeFileSync(file, `h0 ssh-ed25519 ${b64(ed)}`);
    expect(await kh.add('h1', 22, ed2.blob)).toMatchObject({ kind: 'added', entry: { line: 2 } });
    expect(readFileSync(file, 'utf8')).toBe(`h0 ssh-ed25519 ${b64(ed)}\nh1 ssh-ed25519 ${b64(ed2)}\n`);
  });
  it('keyTypeOf reads the blob type', () => {
    expect(keyTypeOf(rsa.blob)).toBe('ssh-rsa');
    expect(() => keyTypeOf(Buffer.alloc(2))).toThrow();
  });
});

describe('KnownHosts lookups by name', () => {
  it('agrees with a scan of every line: plain names, patterns, negations, hashed names, markers, file order', () => {
    const hashed = formatKnownHostsLine('h3', 22, ec.blob, { hash: true });
    const lines = [
      `*.lab ecdsa-sha2-nistp256 ${b64(ec)}`,
      `h1,H2 ssh-ed25519 ${b64(ed)}`,
      `!h2,h* ssh-rsa ${b64(rsa)}`,
      hashed,
      `@revoked h4 ssh-ed25519 ${b64(ed2)}`,
      `h4 ssh-ed25519 ${b64(ed2)}`,
      `@cert-authority h1 ssh-ed25519 ${b64(ed)}`,
      ...Array.from({ length: 500 }, (_, i) => `n${i}.lab ssh-ed25519 ${b64(i % 2 ? ed : ed2)}`),
    ];
    const text = lines.join('\n');
    const kh = KnownHosts.fromText(text);
    const { entries } = parseKnownHosts(text);
    const keyTypesByScan = (host: string) => [...new Set(entries.filter((e) => e.marker === undefined && e.hosts.length > 0 && checkHostKey([e], host, 22, Buffer.alloc(0)).kind !== 'unknown').map((e) => e.keyType))];
    for (const host of ['h1', 'h2', 'H2', 'h3', 'h4', 'h9', 'x.lab', 'n7.lab', 'n8.lab', 'nothing'])
      for (const key of [ed, ed2, ec, rsa]) {
        expect([host, kh.check(host, 22, key.blob)]).toEqual([host, checkHostKey(entries, host, 22, key.blob)]);
        expect([host, kh.recordedKeyTypes(host, 22)]).toEqual([host, keyTypesByScan(host)]);
      }
    expect(kh.recordedKeyTypes('n7.lab', 22)).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(kh.certificateAuthorities('h1', 22).map((e) => e.line)).toEqual([7]);
  });
});
