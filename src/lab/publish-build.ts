import { existsSync } from 'node:fs';
import { link, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors/index.js';
import { shellWord } from './lab-command.js';
import { hardLinksUnsupported } from '../fs/hard-links-unsupported.js';

/**
 * Puts a finished cache build (`tmp`, holding `marker`) at `path`. Two first `lab up`s in
 * different directories may build the same cache at once, and the first's nodes run on it as soon
 * as it is published: so a build that finds one already published discards itself, and nothing
 * is ever removed from `path` (rename onto a non-empty directory fails with ENOTEMPTY: then
 * someone else won). Returns whether this build was published.
 */
export async function publishBuild(tmp: string, path: string, marker: string): Promise<boolean> {
  if (!existsSync(join(path, marker))) {
    try {
      await rename(tmp, path);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      if (!existsSync(join(path, marker))) {
        await rm(tmp, { recursive: true, force: true });
        throw new LabError(`${path} is in the way and is no finished build (it has no ${marker})`, `remove it (rm -rf ${shellWord(path)}) if no lab runs on it, and run again`);
      }
    }
  }
  await rm(tmp, { recursive: true, force: true });
  return false;
}

/**
 * Puts a finished cache file (`tmp`, in the same directory) at `path`, never replacing one already
 * there: as for publishBuild, the first build published is the one labs run on (the sandbox image's
 * bytes differ from build to build, and a lab's plan records the image it was given). link() fails
 * with EEXIST rather than replace, where rename() would replace. On a filesystem without hard links
 * it is renamed when `path` does not exist: two builds finishing at the same instant there could
 * both see no file, and the second replace the first under a lab already given it: a tiny race,
 * better than every `up` on such a cache failing after the build. Returns whether this build was published; `tmp` is removed either way.
 * `linkFile` is link(), replaceable by a test that simulates such a filesystem.
 */
export async function publishFile(tmp: string, path: string, linkFile: (from: string, to: string) => Promise<void> = link): Promise<boolean> {
  try {
    await linkFile(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // EXDEV too, where a mount splits the cache directory: the build is renamed into place instead.
    if (!hardLinksUnsupported(code) && code !== 'EXDEV') throw err;
    if (existsSync(path)) return false;
    await rename(tmp, path);
    return true;
  } finally {
    await rm(tmp, { force: true });
  }
}
