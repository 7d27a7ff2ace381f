import { createHmac, randomBytes } from 'node:crypto';
import { createFileOnce } from '../fs/create-once.js';
import { InputFileError } from '../errors/index.js';
import { readPrivateFile } from './private-file.js';

/**
 * How a plan names the content of a secret without giving it away.
 *
 * A saved plan (`plan --out`, `--json`) is compared with a fresh one before `apply --plan` runs
 * (phases/check-saved-plan.ts), so it must carry something that changes when the secret changes.
 * A plain sha256 of the secret does, but it also lets anyone holding the plan test guesses of a
 * low-entropy secret (a passphrase in `agent.keyFile`) offline. A random salt stored in the plan
 * stops precomputed tables only: the guesses still work, one hash each. So the plan holds an
 * HMAC-SHA256 under a random key that is never in the plan: `.gridops/GRID.plan-digest.key`,
 * beside the state, made (mode 0600) on first use. The same key at plan and at apply gives the
 * same digest for the same secret, so stale-plan detection stays exact; without the key a digest
 * says nothing about the secret. The price: `apply --plan` must see the same state directory as
 * the `plan` that saved it (it needs that directory's state and lock anyway); elsewhere the plan
 * is refused as stale, never applied wrongly.
 */

/**
 * For secret content no run loaded a key for (a library caller's or a test's): a key of this
 * process only. Such a plan still leaks nothing; saved, it matches no later run's plan, so it is
 * refused as stale.
 */
export const PROCESS_PLAN_DIGEST_KEY = randomBytes(32);

/** What a plan records for secret content (in FileChange.contentSha256): `hmac-sha256:HEX`. */
export function planDigest(content: string | Buffer, key: Buffer): string {
  return `hmac-sha256:${createHmac('sha256', key).update(content).digest('hex')}`;
}

/**
 * Reads the plan-digest key, or creates it (32 random bytes, hex, mode 0600) the first time, once
 * (fs/create-once.ts): two plans starting at once agree on one key, or the first's saved plan
 * would never apply. The caller makes the directory.
 */
export async function loadOrCreatePlanDigestKey(file: string): Promise<Buffer> {
  const existing = await readKey(file);
  if (existing) return existing;
  await createFileOnce(file, `${randomBytes(32).toString('hex')}\n`, 0o600);
  return (await readKey(file))!;
}

async function readKey(file: string): Promise<Buffer | undefined> {
  const bytes = await readPrivateFile(file, 'plan digest key');
  if (bytes !== undefined && !/^[0-9a-f]{64}\n?$/.test(bytes.toString('utf8'))) throw new InputFileError(`plan digest key ${file} is not 64 hex digits`, `remove it (a new one is made on the next plan; plans saved before then must be made again)`);
  return bytes;
}
