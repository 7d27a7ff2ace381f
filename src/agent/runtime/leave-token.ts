import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writePrivateFile } from './state-file.js';

/**
 * POST /leave takes a node out of the grid for good, and its marker survives restarts. The HTTP
 * server may listen beyond loopback (httpAddress, for Prometheus), where a sandbox VM or anyone on
 * the network reaches it, and on loopback any local user does. So the agent draws a token at each
 * start into a file only root can read, beside its state file, and /leave needs it: `gridagent
 * leave`, run as root on the node (the decommission and rename playbooks do), reads it there.
 */
export function leaveTokenPath(stateFile: string): string {
  return `${stateFile}.leave-token`;
}

/** A new token, not written yet: a start listens with it first, then writes it (daemon.ts says why). */
export function drawLeaveToken(): string {
  return randomBytes(32).toString('hex');
}

/** Writes `token` where `gridagent leave` reads it (mode 0600, atomically). */
export function writeLeaveToken(path: string, token: string): void {
  writePrivateFile(path, `${token}\n`);
}

/** The token a running agent wrote, or undefined where there is none (an agent of a version before tokens). */
export function readLeaveToken(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The header `gridagent leave` sends the token in. */
export const LEAVE_TOKEN_HEADER = 'x-gridagent-leave-token';

/** Whether `presented` is the token, compared in constant time (digests: the lengths may differ). */
export function leaveTokenMatches(presented: string | string[] | undefined, token: string): boolean {
  if (typeof presented !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(token));
}
