import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../../src/errors/index.js';
import { publishBuild, publishFile } from '../../src/lab/publish-build.js';

// Two first `lab up`s in different directories build the shared rootfs at once; the second to
// finish must not remove the first one's, which its nodes already run on.
describe('publishing a finished cache build', () => {
  let tmp: string;
  const build = (name: string, content: string) => {
    const d = join(tmp, name);
    mkdirSync(d);
    writeFileSync(join(d, '.marker'), content);
    return d;
  };
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'gridops-publish-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  test('the first build is renamed into place', async () => {
    const path = join(tmp, 'bookworm-v1');
    expect(await publishBuild(build('.tmp-a', 'a'), path, '.marker')).toBe(true);
    expect(readFileSync(join(path, '.marker'), 'utf8')).toBe('a');
  });

  test('a second build finds the first published: the first stays, the second is discarded', async () => {
    const path = join(tmp, 'bookworm-v1');
    await publishBuild(build('.tmp-a', 'a'), path, '.marker');
    mkdirSync(join(path, 'in-use-by-a-node'));
    const second = build('.tmp-b', 'b');
    expect(await publishBuild(second, path, '.marker')).toBe(false);
    expect(readFileSync(join(path, '.marker'), 'utf8')).toBe('a');
    expect(existsSync(join(path, 'in-use-by-a-node'))).toBe(true);
    expect(existsSync(second)).toBe(false);
  });

  test('a directory in the way that is no finished build is not removed blindly', async () => {
    const path = join(tmp, 'bookworm-v1');
    mkdirSync(path);
    writeFileSync(join(path, 'something'), '');
    await expect(publishBuild(build('.tmp-a', 'a'), path, '.marker')).rejects.toThrow(LabError);
    expect(existsSync(join(path, 'something'))).toBe(true);
  });
});

// The sandbox image is one file, published with a plain rename: two first container `lab up`s at
// once each replaced the other's image (its bytes are not reproducible), so the first lab's next
// plan saw a changed image. The first finished build stays.
describe('publishing a finished cache file', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'gridops-publish-file-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const built = (name: string, content: string) => {
    const f = join(tmp, name);
    writeFileSync(f, content);
    return f;
  };

  test('the first build is put in place', async () => {
    const path = join(tmp, 'bookworm-v2.img');
    expect(await publishFile(built('.tmp-a.img', 'a'), path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('a');
    expect(existsSync(join(tmp, '.tmp-a.img'))).toBe(false);
  });

  test('a second build finds the first published: the first stays, the second is discarded', async () => {
    const path = join(tmp, 'bookworm-v2.img');
    await publishFile(built('.tmp-a.img', 'a'), path);
    expect(await publishFile(built('.tmp-b.img', 'b'), path)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('a');
    expect(existsSync(join(tmp, '.tmp-b.img'))).toBe(false);
  });
  /**
   * On a filesystem without hard links (some FUSE, vfat, exFAT) link() fails, and every `up` threw
   * after building the image (review lab 4): the build is moved into place instead when none is there.
   */
  describe('on a filesystem without hard links', () => {
    let links: number;
    beforeEach(() => (links = 0));
    const noLinks = (code: string) => async () => {
      links++;
      throw Object.assign(new Error(`link: ${code}`), { code });
    };

    test.each(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'])('link() failing with %s: the first build is moved into place', async (code) => {
      const path = join(tmp, 'bookworm-v2.img');
      expect(await publishFile(built('.tmp-a.img', 'a'), path, noLinks(code))).toBe(true);
      expect(links).toBe(1);
      expect(readFileSync(path, 'utf8')).toBe('a');
      expect(existsSync(join(tmp, '.tmp-a.img'))).toBe(false);
    });

    test('a second build finds the first published: the first stays, the second is discarded', async () => {
      const path = join(tmp, 'bookworm-v2.img');
      await publishFile(built('.tmp-a.img', 'a'), path, noLinks('EPERM'));
      expect(await publishFile(built('.tmp-b.img', 'b'), path, noLinks('EPERM'))).toBe(false);
      expect(links).toBe(2);
      expect(readFileSync(path, 'utf8')).toBe('a');
      expect(existsSync(join(tmp, '.tmp-b.img'))).toBe(false);
    });

    test('another error is thrown, and the build removed', async () => {
      const path = join(tmp, 'bookworm-v2.img');
      await expect(publishFile(built('.tmp-a.img', 'a'), path, noLinks('EIO'))).rejects.toThrow('link: EIO');
      expect(existsSync(path)).toBe(false);
      expect(existsSync(join(tmp, '.tmp-a.img'))).toBe(false);
    });
  });
});
