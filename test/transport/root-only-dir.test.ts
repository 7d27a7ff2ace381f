import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync, chownSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { quote } from '../../src/transport/quote.js';
import { makeRootOnlyDir, rootOnlyDirProblem, RootOnlyDirError, stageInRootOnlyDirScript, type DirAttrs } from '../../src/transport/root-only-dir.js';

const DIR = 0o040000;
const FILE = 0o100000;
const LINK = 0o120000;

describe('a root-only staging directory: the checks', () => {
  it('takes only a directory itself, owned by root, mode exactly 0700', () => {
    expect(rootOnlyDirProblem('/s', { mode: DIR | 0o700, uid: 0 })).toBeUndefined();
    expect(rootOnlyDirProblem('/s', { mode: LINK | 0o777, uid: 0 })).toMatch(/not a directory \(a symlink is not followed\)/);
    expect(rootOnlyDirProblem('/s', { mode: FILE | 0o700, uid: 0 })).toMatch(/not a directory/);
    expect(rootOnlyDirProblem('/s', { mode: DIR | 0o700, uid: 1000 })).toMatch(/owned by uid 1000, not root/);
    expect(rootOnlyDirProblem('/s', { mode: DIR | 0o755, uid: 0 })).toMatch(/mode 0755, not 0700/);
    expect(rootOnlyDirProblem('/s', { mode: DIR | 0o1700, uid: 0 })).toMatch(/mode 1700/);
  });

  it('over SFTP-like calls: makes the missing parents 0755 and the directory 0700, then checks its lstat', async () => {
    const there = new Map<string, DirAttrs>([['/', { mode: DIR | 0o755, uid: 0 }], ['/var', { mode: DIR | 0o755, uid: 0 }], ['/var/lib', { mode: DIR | 0o755, uid: 0 }]]);
    const calls: string[] = [];
    await makeRootOnlyDir('/var/lib/gridops/staging', {
      lstat: async (p) => (calls.push(`lstat ${p}`), there.get(p) ?? null),
      stat: async (p) => (calls.push(`stat ${p}`), there.get(p) ?? null),
      realpath: async (p) => (calls.push(`realpath ${p}`), p),
      mkdir: async (p, mode) => void (calls.push(`mkdir ${p} ${mode.toString(8)}`), there.set(p, { mode: DIR | mode, uid: 0 })),
    });
    expect(calls).toEqual([
      'lstat /var/lib/gridops/staging',
      'stat /var/lib/gridops',
      'stat /var/lib',
      // The directories above that are there, checked before anything is made.
      'realpath /var/lib',
      'stat /var/lib',
      'stat /var',
      'stat /',
      'mkdir /var/lib/gridops 755',
      'mkdir /var/lib/gridops/staging 700',
      'lstat /var/lib/gridops/staging',
    ]);
  });

  it('over SFTP-like calls: a directory above that another user owns or may write is refused before anything is made', async () => {
    const cases: Array<[string, DirAttrs, RegExp]> = [
      ['/var/lib', { mode: DIR | 0o755, uid: 1000 }, /\/var\/lib, a directory above it, is owned by uid 1000, not root; another user could replace \/var\/lib\/gridops\/staging\. Hint: make \/var\/lib owned by root and not writable by group or others \(chown root \/var\/lib; chmod go-w \/var\/lib\)/],
      ['/var', { mode: DIR | 0o775, uid: 0 }, /\/var, a directory above it, has mode 0775: group or others may write it/],
      ['/var', { mode: DIR | 0o757, uid: 0 }, /mode 0757/],
    ];
    for (const [path, attrs, message] of cases) {
      const there = new Map<string, DirAttrs>([['/', { mode: DIR | 0o755, uid: 0 }], ['/var', { mode: DIR | 0o755, uid: 0 }], ['/var/lib', { mode: DIR | 0o755, uid: 0 }], [path, attrs]]);
      const made: string[] = [];
      const err = await makeRootOnlyDir('/var/lib/gridops/staging', {
        lstat: async (p) => there.get(p) ?? null,
        stat: async (p) => there.get(p) ?? null,
        realpath: async (p) => p,
        mkdir: async (p) => void made.push(p),
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RootOnlyDirError);
      expect((err as Error).message).toMatch(message);
      expect(made).toEqual([]);
    }
  });

  it("over SFTP-like calls: a sticky directory anyone may write is taken (only root may rename root's entries there); a symlinked parent is judged where it leads too", async () => {
    const there = new Map<string, DirAttrs>([
      ['/', { mode: DIR | 0o755, uid: 0 }],
      ['/var', { mode: DIR | 0o755, uid: 0 }],
      ['/var/lib', { mode: DIR | 0o755, uid: 0 }],
      // /var/lib/gridops -> /mnt/big/gridops: its target's directory /mnt/big is a user's.
      ['/var/lib/gridops', { mode: DIR | 0o755, uid: 0 }],
      ['/mnt', { mode: DIR | 0o1777, uid: 0 }],
      ['/mnt/big', { mode: DIR | 0o755, uid: 1000 }],
      ['/mnt/big/gridops', { mode: DIR | 0o755, uid: 0 }],
    ]);
    const ops = {
      lstat: async (p: string) => there.get(p) ?? null,
      stat: async (p: string) => there.get(p) ?? null,
      realpath: async (p: string) => p.replace('/var/lib/gridops', '/mnt/big/gridops'),
      mkdir: async (p: string, mode: number) => void there.set(p, { mode: DIR | mode, uid: 0 }),
    };
    await expect(makeRootOnlyDir('/var/lib/gridops/staging', ops)).rejects.toThrow(/\/mnt\/big, a directory above it, is owned by uid 1000/);
    expect(there.has('/var/lib/gridops/staging')).toBe(false);
    there.set('/mnt/big', { mode: DIR | 0o755, uid: 0 });
    await makeRootOnlyDir('/var/lib/gridops/staging', ops);
    expect(there.get('/var/lib/gridops/staging')).toEqual({ mode: DIR | 0o700, uid: 0 });
  });

  it('over SFTP-like calls: a symlink at the name is refused, never followed nor made again', async () => {
    const calls: string[] = [];
    const err = await makeRootOnlyDir('/var/lib/gridops/staging', {
      lstat: async (p) => (calls.push(`lstat ${p}`), { mode: LINK | 0o777, uid: 1000 }),
      stat: async (p) => (calls.push(`stat ${p}`), { mode: DIR | 0o755, uid: 0 }),
      realpath: async (p) => p,
      mkdir: async (p) => void calls.push(`mkdir ${p}`),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RootOnlyDirError);
    expect((err as Error).message).toMatch(/\/var\/lib\/gridops\/staging is not a directory .*Hint: remove \/var\/lib\/gridops\/staging/);
    expect(calls.filter((c) => !c.startsWith('stat '))).toEqual(['lstat /var/lib/gridops/staging']);
  });
  it('the script under sudo: checks the directory before it removes or writes anything in it', () => {
    const script = stageInRootOnlyDirScript(`/var/lib/gridops/it's/x.part`, 'install -m 0600 -- /tmp/.s "$f"');
    const d = quote(`/var/lib/gridops/it's`);
    expect(d).toBe(`'/var/lib/gridops/it'\\''s'`);
    expect(script).toContain(`mkdir -m 0700 -- ${d}`);
    // Its parents 0755 under any umask (sudo's may be 077).
    expect(script).toContain(`( umask 022 && mkdir -p -- /var/lib/gridops )`);
    expect(script).toContain(`if [ -L ${d} ] || [ ! -d ${d} ] || [ "$(stat -c %u:%a -- ${d})" != 0:700 ]; then`);
    expect(script.indexOf('stat -c')).toBeLessThan(script.indexOf('rm -f'));
    expect(script.indexOf('rm -f')).toBeLessThan(script.indexOf('install'));
  });
});

// The process's own file system and a real shell: root, as the nodes' uploads run.
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

asRoot('a root-only staging directory: LocalTransport', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'gridops-rootonly-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const direct = new LocalTransport('local', { PATH: '/usr/bin:/bin' });
  // As root, sudo -n lets the test take the non-root path (the shell script under sudo).
  const asUser = new (class extends LocalTransport {
    override readonly user = 'gridops-test-user';
  })('local', { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
  const ways = [
    ['as root', direct, {}],
    ['through sudo', asUser, { become: true }],
  ] as const;

  describe.each(ways)('%s', (_name, t, become) => {
    const upload = (path: string, content: string) => t.upload(path, content, { mode: 0o600, rootOnlyDir: true, ...become });

    it('makes the directory (0700, root) and its parents where absent, and leaves only the staged file there', async () => {
      const dir = join(base, 'gridops', 'staging');
      await upload(join(dir, 'image.part'), 'image');
      expect(lstatSync(dir).isDirectory()).toBe(true);
      expect(statSync(dir).mode & 0o7777).toBe(0o700);
      expect(statSync(dir).uid).toBe(0);
      expect(readdirSync(dir)).toEqual(['image.part']);
      expect(readFileSync(join(dir, 'image.part'), 'utf8')).toBe('image');
      expect(statSync(join(dir, 'image.part')).mode & 0o777).toBe(0o600);
    });

    it('overwrites what an interrupted run left (a re-run converges)', async () => {
      const dir = join(base, 'staging');
      mkdirSync(dir, { mode: 0o700 });
      writeFileSync(join(dir, 'image.part'), 'half of a longer image');
      await upload(join(dir, 'image.part'), 'whole');
      expect(readFileSync(join(dir, 'image.part'), 'utf8')).toBe('whole');
      expect(readdirSync(dir)).toEqual(['image.part']);
    });

    it('a symlink at the staged name is replaced, never written through', async () => {
      const dir = join(base, 'staging');
      mkdirSync(dir, { mode: 0o700 });
      const victim = join(base, 'shadow');
      writeFileSync(victim, 'root:secret\n');
      symlinkSync(victim, join(dir, 'image.part'));
      await upload(join(dir, 'image.part'), 'image');
      expect(readFileSync(victim, 'utf8')).toBe('root:secret\n');
      expect(lstatSync(join(dir, 'image.part')).isFile()).toBe(true);
    });

    it('refuses a symlink at the directory, and writes nothing where it points', async () => {
      const elsewhere = join(base, 'elsewhere');
      mkdirSync(elsewhere, { mode: 0o700 });
      symlinkSync(elsewhere, join(base, 'staging'));
      await expect(upload(join(base, 'staging', 'image.part'), 'image')).rejects.toThrow(/staging is not a directory .*remove .*staging/s);
      expect(readdirSync(elsewhere)).toEqual([]);
    });

    it('refuses a directory another user owns, or one others may write, and leaves it as it was', async () => {
      const owned = join(base, 'owned');
      mkdirSync(owned, { mode: 0o700 });
      chownSync(owned, 4242, 4242);
      await expect(upload(join(owned, 'image.part'), 'image')).rejects.toThrow(/owned.*(uid 4242|not a directory owned by root)/s);
      const open = join(base, 'open');
      mkdirSync(open);
      chmodSync(open, 0o1777);
      await expect(upload(join(open, 'image.part'), 'image')).rejects.toThrow(/open.*(mode 1777|with mode 0700)/s);
      expect(readdirSync(owned)).toEqual([]);
      expect(readdirSync(open)).toEqual([]);
    });

    it('refuses a directory above another user owns or may write (not sticky), and makes nothing', async () => {
      for (const [uid, mode] of [[4242, 0o755], [0, 0o775], [0, 0o777]] as const) {
        const above = join(base, `above-${uid}-${mode.toString(8)}`);
        mkdirSync(above);
        chmodSync(above, mode);
        chownSync(above, uid, 0);
        await expect(upload(join(above, 'gridops', 'staging', 'image.part'), 'image')).rejects.toThrow(/above-.*(a directory above it|not owned by root|group or others may write).*Hint: make/s);
        expect(readdirSync(above)).toEqual([]);
      }
    });

    it("judges a symlinked parent where it leads: a root-owned link into a user's directory is refused; a sticky one is taken", async () => {
      const users = join(base, 'users');
      mkdirSync(users);
      chownSync(users, 4242, 4242);
      const store = join(users, 'store');
      mkdirSync(store);
      symlinkSync(store, join(base, 'images'));
      await expect(upload(join(base, 'images', 'staging', 'image.part'), 'image')).rejects.toThrow(/users.*(not root|not owned by root)/s);
      expect(readdirSync(store)).toEqual([]);
      const sticky = join(base, 'sticky');
      mkdirSync(sticky);
      chmodSync(sticky, 0o1777);
      mkdirSync(join(sticky, 'store'));
      symlinkSync(join(sticky, 'store'), join(base, 'images2'));
      await upload(join(base, 'images2', 'staging', 'image.part'), 'image');
      expect(readFileSync(join(sticky, 'store', 'staging', 'image.part'), 'utf8')).toBe('image');
    });

    it('a hostile directory name is one literal name to the shell (quote)', async () => {
      // A hostile name for the directory and for the one above it (which the upload makes and the ancestors' check walks).
      const dir = join(base, `up's $(touch ${base}/pwned3)\n"x"`, `it's $(touch ${base}/pwned) \`touch ${base}/pwned2\`; x`);
      await upload(join(dir, "a 'b'.part"), 'image');
      expect(readFileSync(join(dir, "a 'b'.part"), 'utf8')).toBe('image');
      expect(statSync(dir).mode & 0o7777).toBe(0o700);
      expect(existsSync(join(base, 'pwned'))).toBe(false);
      expect(existsSync(join(base, 'pwned2'))).toBe(false);
      expect(existsSync(join(base, 'pwned3'))).toBe(false);
    });
  });

});
