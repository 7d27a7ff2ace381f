import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError } from '../../src/errors/index.js';
import { FileResource } from '../../src/resources/file.js';
import { loadOrCreatePlanDigestKey, planDigest } from '../../src/secrets/plan-digest.js';

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const absent = 'absent\n';
// A secret a person might choose: what a plain hash in the plan would let anyone guess.
const weak = 'correct horse battery staple correct horse';

describe("a sensitive file's plan digest", () => {
  it("is an HMAC under the run's plan-digest key, never the plain sha256", () => {
    const key = randomBytes(32);
    const change = new FileResource({ path: '/etc/gridagent/grid.key', content: Buffer.from(weak), mode: '0600', sensitive: true, digestKey: key }).diff(absent)!;
    expect(change.contentSha256).toBe(`hmac-sha256:${createHmac('sha256', key).update(weak).digest('hex')}`);
    expect(JSON.stringify(change)).not.toContain(sha256(weak));
    expect(JSON.stringify(change)).not.toContain(weak);
  });

  it('is the same for the same secret and key (stale-plan detection), and differs when either changes', () => {
    const key = randomBytes(32);
    const digest = (content: string, k: Buffer) => new FileResource({ path: '/k', content: Buffer.from(content), sensitive: true, digestKey: k }).diff(absent)!.contentSha256;
    expect(digest(weak, key)).toBe(digest(weak, Buffer.from(key)));
    expect(digest(`${weak}!`, key)).not.toBe(digest(weak, key));
    expect(digest(weak, randomBytes(32))).not.toBe(digest(weak, key));
  });

  it('of secret bytes no run loaded is still keyed (by this process), never the plain sha256', () => {
    const change = new FileResource({ path: '/k', content: weak, sensitive: true }).diff(absent)!;
    expect(change.contentSha256).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(change.contentSha256).not.toContain(sha256(weak));
  });

  it('an ordinary file keeps its plain sha256 (nothing to hide)', () => {
    expect(new FileResource({ path: '/etc/motd', content: 'hello\n' }).diff(absent)!.contentSha256).toBe(sha256('hello\n'));
  });

  it('planDigest is HMAC-SHA256, named', () => {
    expect(planDigest('x', Buffer.from('k'))).toBe(`hmac-sha256:${createHmac('sha256', 'k').update('x').digest('hex')}`);
  });
});

describe('the plan digest key', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-digest-key-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is made once, mode 0600, and read back the same; two runs starting at once agree on it', async () => {
    const file = join(dir, 'g.plan-digest.key');
    const [a, b] = await Promise.all([loadOrCreatePlanDigestKey(file), loadOrCreatePlanDigestKey(file)]);
    expect(a.equals(b)).toBe(true);
    expect(a.toString()).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await loadOrCreatePlanDigestKey(file)).equals(a)).toBe(true);
  });

  it('is refused when others can read it, or when it is not one', async () => {
    const file = join(dir, 'k');
    writeFileSync(file, `${'a'.repeat(64)}\n`, { mode: 0o644 });
    await expect(loadOrCreatePlanDigestKey(file)).rejects.toThrow(/readable by group or others/);
    writeFileSync(join(dir, 'short'), 'abc\n', { mode: 0o600 });
    await expect(loadOrCreatePlanDigestKey(join(dir, 'short'))).rejects.toBeInstanceOf(InputFileError);
  });
});
