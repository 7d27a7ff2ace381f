import { randomBytes } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { InputFileError } from '../errors/index.js';
import { createFileOnce } from '../fs/create-once.js';
import { readPrivateFile } from './private-file.js';

/** The grid key: 32 random bytes, hex, one line. Agents sign every message with it (HMAC). */
export interface GridKey {
  file: string;
  /** The key file's bytes; only ever written to a host as a sensitive file (mode 0600). */
  bytes: Buffer;
  created: boolean;
}

/**
 * Reads the grid key, or creates it (mode 0600, never half-written) the first time. A key file that
 * group or others can read is refused: the key would be no secret.
 */
export async function loadOrCreateGridKey(file: string): Promise<GridKey> {
  const existing = await readGridKey(file);
  if (existing) return { file, bytes: existing, created: false };
  // Created once (fs/create-once.ts): two first runs at once agree on one key, never one each.
  const created = await createFileOnce(file, `${randomBytes(32).toString('hex')}\n`, 0o600);
  return { file, bytes: (await readGridKey(file))!, created };
}

async function readGridKey(file: string): Promise<Buffer | undefined> {
  const bytes = await readPrivateFile(file, 'grid key');
  if (bytes !== undefined && bytes.toString('utf8').trim().length < 32) throw new InputFileError(`grid key ${file} is too short`, 'use at least 32 characters, e.g. `openssl rand -hex 32`');
  return bytes;
}

/**
 * Removes a grid key this run created, when a later check refuses the run: kept, it would be the
 * key of the next run, which could then no longer tell it is new. Only while the file still holds
 * the bytes created (a key written there meanwhile, by hand or another run, stays). Whether it went.
 */
export async function removeCreatedGridKey(key: Pick<GridKey, 'file' | 'bytes'>): Promise<boolean> {
  const now = await readFile(key.file).catch(() => undefined);
  if (!now?.equals(key.bytes)) return false;
  await unlink(key.file);
  return true;
}
