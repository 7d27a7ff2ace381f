import { homedir } from 'node:os';
import { posix } from 'node:path';

/** `~/x` -> $HOME/x. */
export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? posix.join(homedir(), path.slice(2)) : path;
}
