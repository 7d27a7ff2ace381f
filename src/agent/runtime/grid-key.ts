import { readFileSync, statSync } from 'node:fs';

/** The grid key file is missing, unreadable, too short, or readable by group or others. */
export class GridKeyError extends Error {
  override readonly name = 'GridKeyError';
}

/**
 * Reads the grid's HMAC key. The file must not be readable or writable by group or others
 * (mode 0600 or stricter): a key anyone on the node can read authenticates nothing.
 * Leading and trailing whitespace is ignored, so `openssl rand -hex 32 > key` works.
 */
export function readGridKey(path: string): Buffer {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw new GridKeyError(`cannot stat key file ${path}: ${(error as Error).message}; gridops deploys it, or create one with 'openssl rand -hex 32 > ${path}; chmod 600 ${path}'`);
  }
  if ((mode & 0o077) !== 0) {
    throw new GridKeyError(`key file ${path} has mode ${(mode & 0o777).toString(8)}; it must not be accessible by group or others: chmod 600 ${path}`);
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'utf8');
  if (key.length < 16) throw new GridKeyError(`key file ${path} holds ${key.length} bytes; use at least 16 (openssl rand -hex 32)`);
  return key;
}
