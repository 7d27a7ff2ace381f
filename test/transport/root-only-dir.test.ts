import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync, chownSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { quote } from '../../src/transport/quote.js';
import { ancestorsProblem } from '../../src/transport/root-owned-ancestors.js';
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

  /** An SFTP-like file system in memory: directories and symlinks (`link`), each call recorded. */
  function fakeFs(entries: Record<string, { mode: number; uid: number; link?: string }>) {
    const there = new Map(Object.entries(entries));
    const calls: string[] = [];
    /** The path with every symlink on the way resolved, as the kernel's lookup (the last name too). */
    const follow = (p: string): string => {
      let dir = '/';
      let rest = p.split('/');
      for (let hops = 0; rest.length; ) {
        const name = rest.shift()!;
        if (name === '' || name === '.') continue;
        if (name === '..') {
          dir = join(dir, '..');
          continue;
        }
        const next = join(dir, name);
        const link = there.get(next)?.link;
        if (!link) {
          dir = next;
          continue;
        }
        if (++hops > 40) throw new Error('loop');
        if (link.startsWith('/')) dir = '/';
        rest = [...link.split('/'), ...rest];
      }
      return dir;
    };
    /** The name itself, its parents resolved (what lstat, readlink and mkdir look at). */
    const own = (p: string) => (p === '/' ? '/' : join(follow(join(p, '..')), basename(p)));
    const attrs = (p: string) => {
      const e = there.get(p);
      return e ? { mode: e.link ? LINK | 0o777 : e.mode, uid: e.uid } : null;
    };
    const ops = {
      lstat: async (p: string) => (calls.push(`lstat ${p}`), attrs(own(p))),
      stat: async (p: string) => (calls.push(`stat ${p}`), attrs(follow(p))),
      readlink: async (p: string) => (calls.push(`readlink ${p}`), there.get(own(p))!.link!),
      mkdir: async (p: string, mode: number) => {
        calls.push(`mkdir ${p} ${mode.toString(8)}`);
        if (there.has(own(p))) throw new Error('exists');
        there.set(own(p), { mode: DIR | mode, uid: 0 });
      },
    };
    return { there, calls, ops };
  }
  const rootDir = { mode: DIR | 0o755, uid: 0 };

  it('over SFTP-like calls: checks every directory on the way before it makes anything, then makes the missing parents 0755 and the directory 0700', async () => {
    const { calls, ops } = fakeFs({ '/': rootDir, '/var': rootDir, '/var/lib': rootDir });
    await makeRootOnlyDir('/var/lib/gridops/staging', ops);
    expect(calls).toEqual([
      'lstat /var/lib/gridops/staging',
      'stat /var/lib/gridops',
      'stat /var/lib',
      // The walk from / to the nearest directory there, before anything is made.
      'lstat /',
      'lstat /var',
      'lstat /var/lib',
      'mkdir /var/lib/gridops 755',
      // Walked again with the parents made: one made meanwhile by someone else would be theirs.
      'lstat /',
      'lstat /var',
      'lstat /var/lib',
      'lstat /var/lib/gridops',
      'mkdir /var/lib/gridops/staging 700',
      'lstat /var/lib/gridops/staging',
    ]);
  });

  it('over SFTP-like calls: a directory on the way that another user owns or may write is refused before anything is made', async () => {
    const cases: Array<[string, DirAttrs, RegExp]> = [
      ['/var/lib', { mode: DIR | 0o755, uid: 1000 }, /\/var\/lib, a directory on the way to it, is owned by uid 1000, not root; another user could replace \/var\/lib\/gridops\/staging\. Hint: make \/var\/lib owned by root and not writable by group or others \(chown root \/var\/lib; chmod go-w \/var\/lib\)/],
      ['/var', { mode: DIR | 0o775, uid: 0 }, /\/var, a directory on the way to it, has mode 0775: group or others may write it/],
      ['/var', { mode: DIR | 0o757, uid: 0 }, /mode 0757/],
    ];
    for (const [path, attrs, message] of cases) {
      const { calls, ops } = fakeFs({ '/': rootDir, '/var': rootDir, '/var/lib': rootDir, [path]: attrs });
      const err = await makeRootOnlyDir('/var/lib/gridops/staging', ops).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RootOnlyDirError);
      expect((err as Error).message).toMatch(message);
      expect(calls.filter((c) => c.startsWith('mkdir'))).toEqual([]);
    }
  });

  it("over SFTP-like calls: a sticky directory anyone may write is taken (only root may rename root's entries there); symlinks on the way are judged by every directory they lead through, hop by hop", async () => {
    // /var/lib/gridops -> /home/alice/store (a relative hop through alice's home) -> /mnt/big/gridops.
    const { there, ops } = fakeFs({
      '/': rootDir,
      '/var': rootDir,
      '/var/lib': rootDir,
      '/var/lib/gridops': { mode: 0, uid: 0, link: '../../home/alice/store' },
      '/home': rootDir,
      '/home/alice': { mode: DIR | 0o755, uid: 1000 },
      '/home/alice/store': { mode: 0, uid: 1000, link: '/mnt/big/gridops' },
      '/mnt': { mode: DIR | 0o1777, uid: 0 },
      '/mnt/big': rootDir,
      '/mnt/big/gridops': rootDir,
    });
    // Where the links lead (/mnt/big/gridops) is fine; alice could point her link elsewhere.
    await expect(makeRootOnlyDir('/var/lib/gridops/staging', ops)).rejects.toThrow(/\/home\/alice, a directory on the way to it, is owned by uid 1000/);
    expect(there.has('/mnt/big/gridops/staging')).toBe(false);
    there.set('/home/alice', rootDir);
    there.set('/home/alice/store', { mode: 0, uid: 0, link: '/mnt/big/gridops' });
    await makeRootOnlyDir('/var/lib/gridops/staging', ops);
    expect(there.get('/mnt/big/gridops/staging')).toEqual({ mode: DIR | 0o700, uid: 0 });
  });

  it('over SFTP-like calls: a symlink loop on the way is refused, not followed for ever', async () => {
    const { ops } = fakeFs({ '/': rootDir, '/a': { mode: 0, uid: 0, link: '/b' }, '/b': { mode: 0, uid: 0, link: '/a' } });
    // (An lstat through the loop fails first, ELOOP; the walk's own bound is what keeps it finite.)
    expect(await ancestorsProblem('/a', '/a/staging', ops)).toMatch(/\/a goes through more than 40 symlinks/);
  });

  it('over SFTP-like calls: a symlink at the name is refused, never followed nor made again', async () => {
    const { calls, ops } = fakeFs({ '/': rootDir, '/var': rootDir, '/var/lib': rootDir, '/var/lib/gridops': rootDir, '/var/lib/gridops/staging': { mode: 0, uid: 1000, link: '/tmp' } });
    const err = await makeRootOnlyDir('/var/lib/gridops/staging', ops).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RootOnlyDirError);
    expect((err as Error).message).toMatch(/\/var\/lib\/gridops\/staging is not a directory .*Hint: remove \/var\/lib\/gridops\/staging/);
    expect(calls.filter((c) => c.startsWith('mkdir') || c.startsWith('readlink'))).toEqual([]);
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
        await expect(upload(join(above, 'gridops', 'staging', 'image.part'), 'image')).rejects.toThrow(/above-.*(a directory on the way to it|not owned by root|group or others may write).*Hint: make/s);
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

    it("a link on the way that sits in a user's directory is refused, though where it leads is root's (hop by hop, relative links too)", async () => {
      const real = join(base, 'real');
      mkdirSync(real);
      const users = join(base, 'alice');
      mkdirSync(users);
      chownSync(users, 4242, 4242);
      // images -> alice/store (relative) -> real: alice could point her link anywhere.
      symlinkSync('../real', join(users, 'store'));
      symlinkSync('alice/store', join(base, 'images3'));
      await expect(upload(join(base, 'images3', 'staging', 'image.part'), 'image')).rejects.toThrow(/alice.*(on the way to it, is owned by uid 4242|not owned by root)/s);
      expect(readdirSync(real)).toEqual([]);
      chownSync(users, 0, 0);
      await upload(join(base, 'images3', 'staging', 'image.part'), 'image');
      expect(readFileSync(join(real, 'staging', 'image.part'), 'utf8')).toBe('image');
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
