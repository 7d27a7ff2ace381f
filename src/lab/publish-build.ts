import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors/index.js';
import { shellWord } from './lab-command.js';

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
