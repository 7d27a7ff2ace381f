/**
 * OpenSSH known_hosts: parse, look up a host key, fingerprint it as `ssh-keygen -l` prints it,
 * and append a newly accepted key (O_APPEND, as OpenSSH).
 *
 * Matching rules kept from OpenSSH (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"):
 * - host names compare case-insensitively; a non-22 port is looked up as `[host]:port`;
 * - a host field is a comma list of patterns with `*` and `?`, and `!pattern` negates (a host
 *   that matches a negated pattern never matches the line);
 * - a hashed field `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` stands for one name;
 * - `@revoked` lines refuse that key (a certificate there, the key it certifies); `@cert-authority` lines name the CAs whose host
 *   certificates are trusted for the hosts they match (checked by host-certificate.ts, which also
 *   refuses a certificate whose CA key or certified key an `@revoked` line names).
 * gridops is stricter than OpenSSH in one place: if a host has ANY recorded key and the offered
 * key is none of them, the verdict is `changed`, even when the recorded keys are of other types.
 * The transport orders the host key algorithms so the server offers a recorded type first.
 */
import { appendLine } from '../fs/append-line.js';
import { withFileLock } from '../fs/file-lock.js';
import { isCertificateType, readCertificateFields } from './certificate-blob.js';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';

export type KnownHostsMarker = 'cert-authority' | 'revoked';

/** One usable line of a known_hosts file. */
export interface KnownHostsEntry {
  file: string;
  /** 1-based line number, for error messages. */
  line: number;
  marker?: KnownHostsMarker;
  /** The raw host field split on commas (hashed names stay `|1|salt|hash`). */
  hosts: string[];
  keyType: string;
  /** The key blob (SSH wire format), as ssh2's hostVerifier receives it. */
  key: Buffer;
  comment?: string;
}

/** A line that could not be used; reported, never fatal. */
export interface KnownHostsProblem {
  file: string;
  line: number;
  message: string;
}

export type HostKeyVerdict =
  | { kind: 'match'; entry: KnownHostsEntry }
  | { kind: 'unknown' }
  /** `recorded` lists every key on file for the host, the one of the offered type first. */
  | { kind: 'changed'; recorded: KnownHostsEntry[] }
  | { kind: 'revoked'; entry: KnownHostsEntry };

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com|[a-z0-9-]+-cert-v01@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses known_hosts text. Blank lines and `#` comments are skipped; bad lines become problems. */
export function parseKnownHosts(text: string, file = 'known_hosts'): { entries: KnownHostsEntry[]; problems: KnownHostsProblem[] } {
  const entries: KnownHostsEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const lineNo = i + 1;
    const bad = (message: string) => problems.push({ file, line: lineNo, message });
    const fields = raw.split(/[ \t]+/);
    let marker: KnownHostsMarker | undefined;
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        bad(`unknown marker ${m}`);
        continue;
      }
    }
    if (fields.length < 3) {
      bad('expected "hosts key-type base64-key [comment]"');
      continue;
    }
    const [hostField, keyType, b64, ...rest] = fields as [string, string, string, ...string[]];
    if (!KEY_TYPE.test(keyType)) {
      bad(`unsupported key type ${keyType}`);
      continue;
    }
    if (!BASE64.test(b64)) {
      bad('the key is not valid base64');
      continue;
    }
    const key = Buffer.from(b64, 'base64');
    let inner: string | null;
    try {
      inner = keyTypeOf(key);
    } catch {
      inner = null;
    }
    if (inner !== keyType) {
      bad(`the key blob says ${inner ?? 'nothing readable'} but the line says ${keyType}`);
      continue;
    }
    const hosts = hostField.split(',').filter((h) => h !== '');
    if (hosts.length === 0) {
      bad('no host names');
      continue;
    }
    if (hosts.some((h) => h.startsWith('|') && !parseHashed(h))) {
      bad('malformed hashed host name');
      continue;
    }
    entries.push({ file, line: lineNo, ...(marker ? { marker } : {}), hosts, keyType, key, ...(rest.length ? { comment: rest.join(' ') } : {}) });
  }
  return { entries, problems };
}

/**
 * One known_hosts file as a run read it: what the run hands the keeper (keeper-client.ts), which
 * verifies against exactly these texts, never the files read again later.
 */
export interface KnownHostsText {
  file: string;
  text: string;
  /** A global file (GlobalKnownHostsFile): read, never written. */
  readOnly: boolean;
  /** The file was not there (read as empty, as by ssh): an unknown key's error then says so. */
  missing?: boolean;
}

/**
 * The texts of the user's file and then the global ones, a missing file read as empty. Any other
 * error reading one is thrown: going on without a global file would drop its `@revoked` lines.
 */
export function readKnownHostsTexts(files: { writable: string; readOnly: readonly string[] }): KnownHostsText[] {
  return [files.writable, ...files.readOnly].map((file, i) => {
    const readOnly = i > 0;
    try {
      return { file, text: readFileSync(file, 'utf8'), readOnly };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return { file, text: '', readOnly, missing: true };
    }
  });
}

/** The name a host is filed under: `host` on port 22, `[host]:port` otherwise. Lower-cased. */
export function knownHostsName(host: string, port = 22): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function parseHashed(field: string): { salt: Buffer; hash: Buffer } | null {
  const m = /^\|1\|([A-Za-z0-9+/]+={0,2})\|([A-Za-z0-9+/]+={0,2})$/.exec(field);
  if (!m) return null;
  const salt = Buffer.from(m[1]!, 'base64');
  const hash = Buffer.from(m[2]!, 'base64');
  return salt.length === 20 && hash.length === 20 ? { salt, hash } : null;
}

const globs = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  let re = globs.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 'i');
    globs.set(pattern, re);
  }
  return re;
}

/** Whether one line's host field names `name` (as built by knownHostsName). */
export function hostFieldMatches(hosts: readonly string[], name: string): boolean {
  let positive = false;
  for (const h of hosts) {
    if (h.startsWith('|')) {
      const parsed = parseHashed(h);
      if (parsed && createHmac('sha1', parsed.salt).update(name).digest().equals(parsed.hash)) positive = true;
      continue;
    }
    const negated = h.startsWith('!');
    const pattern = negated ? h.slice(1) : h;
    // Most fields are plain names: compare them directly; a regex per line per lookup made a
    // 500-host known_hosts cost O(hosts^2) regex compilations (about 0.2 s of a 50-host plan).
    if (/[*?]/.test(pattern) ? globToRegExp(pattern).test(name) : pattern.toLowerCase() === name) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** Verdict for `key` offered by `host:port`. Pure; see the module comment for the strict rule. */
export function checkHostKey(entries: readonly KnownHostsEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, name));
  const revoked = mine.find((e) => e.marker === 'revoked' && plainKeyOf(e)?.equals(key));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const recorded = mine.filter((e) => e.marker === undefined);
  const match = recorded.find((e) => e.key.equals(key));
  if (match) return { kind: 'match', entry: match };
  if (recorded.length === 0) return { kind: 'unknown' };
  let offeredType: string | null = null;
  try {
    offeredType = keyTypeOf(key);
  } catch {
    /* a blob we cannot read is still "not the recorded key" */
  }
  const sameTypeFirst = [...recorded.filter((e) => e.keyType === offeredType), ...recorded.filter((e) => e.keyType !== offeredType)];
  return { kind: 'changed', recorded: sameTypeFirst };
}

/**
 * The plain key blob a line stands for: a certificate stands for the key it certifies, as OpenSSH
 * compares keys (sshkey_equal_public), so `@revoked` with a certificate revokes its key too.
 * Null for a certificate that cannot be read.
 */
export function plainKeyOf(entry: KnownHostsEntry): Buffer | null {
  if (!isCertificateType(entry.keyType)) return entry.key;
  try {
    return readCertificateFields(entry.key).certifiedKey;
  } catch {
    return null;
  }
}

/** Key types recorded for the host, in file order (used to order ssh2's host key algorithms). */
export function recordedKeyTypes(entries: readonly KnownHostsEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => e.keyType);
  return [...new Set(types)];
}

/** The type name inside an SSH key blob (its first length-prefixed string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) throw new Error('key blob too short');
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) throw new Error('key blob has a bad type field');
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:...` exactly as `ssh-keygen -lf` and ssh print it (base64, no padding). */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** One known_hosts line for host:port; hashed like `HashKnownHosts yes` when asked. */
export function formatKnownHostsLine(host: string, port: number, key: Buffer, options: { hash?: boolean } = {}): string {
  const name = knownHostsName(host, port);
  let field = name;
  if (options.hash) {
    const salt = randomBytes(20);
    field = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  return `${field} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/**
 * The known_hosts files of one run. The first file is the one new keys are appended to; the
 * others (e.g. /etc/ssh/ssh_known_hosts) are read only. Appends are serialised in this process
 * and made with O_APPEND (appendLine): never a rewrite, which would replace a symlinked
 * ~/.ssh/known_hosts with a regular file and drop the lines ssh or another run added meanwhile.
 */
export class KnownHosts {
  private entries: KnownHostsEntry[] = [];
  readonly problems: KnownHostsProblem[] = [];
  /** Files that did not exist when loaded (read as empty), so "unknown key" can say the file is missing. */
  readonly missing: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  /** Entry positions by plain host name, and those that must be tried on every lookup (candidates()). */
  private index: { byName: Map<string, number[]>; tried: number[] } | undefined;

  private constructor(readonly writableFile: string, readonly files: readonly string[]) {}

  /** Loads every file; a missing file counts as empty. */
  static async load(writableFile: string, readOnlyFiles: readonly string[] = []): Promise<KnownHosts> {
    const kh = new KnownHosts(writableFile, [writableFile, ...readOnlyFiles]);
    for (const file of kh.files) {
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          kh.missing.push(file);
          continue;
        }
        throw e;
      }
      const parsed = parseKnownHosts(text, file);
      kh.entries.push(...parsed.entries);
      kh.problems.push(...parsed.problems);
    }
    return kh;
  }

  /** Builds one from text (tests'). */
  static fromText(text: string, file = 'known_hosts'): KnownHosts {
    return KnownHosts.fromTexts([{ file, text, readOnly: false }]);
  }

  /**
   * Builds one from the texts a run read (the keeper's, keeper-main.ts): the user's file and the
   * global ones, parsed as load parses them, so their `@revoked` and `@cert-authority` lines count
   * as in a direct run. The writable file is the one not read-only (the keeper records no key).
   */
  static fromTexts(texts: readonly KnownHostsText[]): KnownHosts {
    const writable = texts.find((t) => !t.readOnly)?.file ?? texts[0]?.file ?? 'known_hosts';
    const kh = new KnownHosts(writable, texts.map((t) => t.file));
    for (const t of texts) {
      if (t.missing) kh.missing.push(t.file);
      const parsed = parseKnownHosts(t.text, t.file);
      kh.entries.push(...parsed.entries);
      kh.problems.push(...parsed.problems);
    }
    return kh;
  }

  check(host: string, port: number, key: Buffer): HostKeyVerdict {
    return checkHostKey(this.candidates(knownHostsName(host, port)), host, port, key);
  }

  /** The `@cert-authority` lines whose host field names host:port: CAs trusted to sign its host certificate. */
  certificateAuthorities(host: string, port: number): KnownHostsEntry[] {
    const name = knownHostsName(host, port);
    return this.candidates(name).filter((e) => e.marker === 'cert-authority' && hostFieldMatches(e.hosts, name));
  }

  /** The `@revoked` lines whose host field names host:port: keys refused for it, plain, CA or certificate. */
  revokedKeys(host: string, port: number): KnownHostsEntry[] {
    const name = knownHostsName(host, port);
    return this.candidates(name).filter((e) => e.marker === 'revoked' && hostFieldMatches(e.hosts, name));
  }

  recordedKeyTypes(host: string, port: number): string[] {
    return recordedKeyTypes(this.candidates(knownHostsName(host, port)), host, port);
  }

  /**
   * The entries that may name `name`, in file order: those filed under it by a plain name, and
   * every line with a pattern, a negation or a hashed name (those must be tried). Scanning every
   * line for every host made a 500-host run O(hosts^2) (250 000 matches, about 0.2 s).
   */
  private candidates(name: string): KnownHostsEntry[] {
    if (!this.index) {
      const byName = new Map<string, number[]>();
      const tried: number[] = [];
      this.entries.forEach((e, i) => {
        if (e.hosts.some((h) => /^[|!]|[*?]/.test(h))) tried.push(i);
        else for (const h of new Set(e.hosts.map((x) => x.toLowerCase()))) byName.set(h, [...(byName.get(h) ?? []), i]);
      });
      this.index = { byName, tried };
    }
    const { byName, tried } = this.index;
    const plain = byName.get(name) ?? [];
    const at = tried.length === 0 ? plain : [...plain, ...tried].sort((a, b) => a - b);
    return at.map((i) => this.entries[i]!);
  }

  /**
   * Records host:port -> key in the writable file and the in-memory view, if the host is still
   * unknown there. The check the caller made was against the file as this run read it: another
   * run, or another handshake of this one to the same address, may have recorded a key since.
   * So, serialised in this process and under an exclusive lock on the file (fs/file-lock.ts)
   * across processes, the file is read again and the key checked again: only a still unknown
   * host gets a line. The same key already there is a match (no second line); a different one is
   * `changed` (or `revoked`), and nothing is written: never a second key trusted beside the first.
   */
  add(host: string, port: number, key: Buffer, options: { hash?: boolean; comment?: string } = {}): Promise<AddVerdict> {
    const line = formatKnownHostsLine(host, port, key, options) + (options.comment ? ` ${options.comment}` : '');
    const result = this.writing.then(() =>
      withFileLock(this.writableFile, async () => {
        await this.reloadWritable();
        const verdict = this.check(host, port, key);
        if (verdict.kind !== 'unknown') return verdict;
        const lineNo = await appendLine(this.writableFile, line);
        const entry = parseKnownHosts(line, this.writableFile).entries[0]!;
        entry.line = lineNo;
        this.entries.push(entry);
        this.index = undefined;
        return { kind: 'added' as const, entry };
      }),
    );
    this.writing = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Replaces the writable file's entries with what it holds now (its problems were reported at load). */
  private async reloadWritable(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.writableFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      text = '';
    }
    const fresh = parseKnownHosts(text, this.writableFile).entries;
    this.entries = [...fresh, ...this.entries.filter((e) => e.file !== this.writableFile)];
    this.index = undefined;
  }
}

/** What KnownHosts.add did: recorded the key, or found the host recorded meanwhile (this key, another, or revoked). */
export type AddVerdict = { kind: 'added'; entry: KnownHostsEntry } | Exclude<HostKeyVerdict, { kind: 'unknown' }>;
