/**
 * A read without a shell: the lstat, stat and first bytes of many paths, all asked at once on
 * one SFTP session (the server pipelines them), so a host runs sftp-server and nothing else.
 *
 * Why: a host's shell read for a no-op plan (`sh`, then a `stat` for the files) took 1.16x the SSH
 * floor on 50 lab hosts, where an SFTP session that stats and reads the same files took 1.07x
 * (8 alternating rounds, 2026-12-01): sftp-server is one exec of a program that links libc alone,
 * where the shell read is an exec of `sh` plus a fork and exec of `stat` (libselinux, PCRE).
 */
import type { SFTPWrapper, Stats } from 'ssh2';
import type { FileAnswer, FileAttrs, FileQuery } from './transport.js';
import { packSftpRequests } from './sftp-packed-requests.js';

/** The file type bits of a mode, and a regular file's. */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;

/** SFTP status codes (draft-ietf-secsh-filexfer-02): end of file, and the answers that say a path cannot be stat'ed or opened. */
const SSH_FX_EOF = 1;
const SSH_FX_NO_SUCH_FILE = 2;
const SSH_FX_PERMISSION_DENIED = 3;
const SSH_FX_FAILURE = 4;

/**
 * Thrown when the session did not answer (it closed, or spoke no SFTP): the caller reads with the
 * shell. Only the server's own answers say that a path is missing or unreadable; a request that
 * failed for want of a session says nothing about the path.
 */
export class SftpUnanswered extends Error {}

/** What reading a file takes from the server at a time. */
const CHUNK = 64 * 1024;

/** How a transport stats and reads one path: null where it cannot (missing, refused). */
export interface FileOps {
  lstat(path: string): Promise<FileAttrs | null>;
  stat(path: string): Promise<FileAttrs | null>;
  /** Up to `max` bytes from the start; `size` is the path's lstat size. */
  read(path: string, max: number, size: number): Promise<Buffer | null>;
}

/**
 * Every query answered at once, by any transport's FileOps: the rules are here, once. Only a
 * regular file is read (opening a FIFO blocks until something writes to it), and only one that
 * may fit: a larger one is left unread (its answer has no content).
 */
export async function answerFileQueries(ops: FileOps, queries: readonly FileQuery[]): Promise<Map<string, FileAnswer>> {
  const answers = new Map<string, FileAnswer>();
  await Promise.all(
    queries.map(async (q) => {
      const answer: FileAnswer = {};
      const [lstat, stat] = await Promise.all([q.lstat || q.read !== undefined ? ops.lstat(q.path) : undefined, q.stat ? ops.stat(q.path) : undefined]);
      if (q.lstat) answer.lstat = lstat ?? null;
      if (q.stat) answer.stat = stat ?? null;
      if (q.read !== undefined && lstat && (lstat.mode & S_IFMT) === S_IFREG && lstat.size <= q.read) answer.content = await ops.read(q.path, q.read + 1, lstat.size);
      answers.set(q.path, answer);
    }),
  );
  return answers;
}

/**
 * Every query answered on `sftp`. A request made after the session ended fails at once: ssh2 sends
 * nothing on a closed channel and never calls back (a session another caller dropped, or one the
 * server ended between a file's lstat and its open), so it would wait for the caller's timeout.
 */
export async function querySftp(sftp: SFTPWrapper, queries: readonly FileQuery[]): Promise<Map<string, FileAnswer>> {
  packSftpRequests(sftp);
  let ended = false;
  const onEnd = () => (ended = true);
  sftp.once('end', onEnd);
  sftp.once('close', onEnd);
  const live = <T>(call: () => Promise<T>): Promise<T> => (ended ? Promise.reject(new SftpUnanswered('the SFTP session ended')) : call());
  try {
    return await answerFileQueries(
      {
        lstat: (path) => live(() => attrsOf((cb) => sftp.lstat(path, cb))),
        stat: (path) => live(() => attrsOf((cb) => sftp.stat(path, cb))),
        read: (path, max, size) => live(() => readUpTo(sftp, path, max, size, () => ended)),
      },
      queries,
    );
  } finally {
    sftp.off('end', onEnd);
    sftp.off('close', onEnd);
  }
}

/** Whether an error is the server's own answer that the path cannot be stat'ed or opened. */
function refused(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === SSH_FX_NO_SUCH_FILE || code === SSH_FX_PERMISSION_DENIED || code === SSH_FX_FAILURE;
}

/** A path's attributes, or null when the server says it cannot stat it (`[ -e ]` says no to those too). */
function attrsOf(call: (cb: (err: Error | undefined, stats: Stats) => void) => void): Promise<FileAttrs | null> {
  return new Promise((resolve, reject) =>
    call((err, stats) => {
      if (err) return refused(err) ? resolve(null) : reject(new SftpUnanswered(err.message));
      const attrs = { mode: stats?.mode, uid: stats?.uid, gid: stats?.gid, size: stats?.size };
      // A server that leaves out the type bits, the owner or the size cannot answer as stat does.
      if (!Object.values(attrs).every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (attrs.mode! & S_IFMT) === 0) return reject(new SftpUnanswered('the server left out file attributes'));
      resolve(attrs as FileAttrs);
    }),
  );
}

/**
 * Up to `max` bytes from the start of the file (`size`, its lstat's, sizes the buffer: a /proc
 * file says 0 and is read in chunks), or null when the server refuses to open it. The handle's
 * close is sent without waiting for its answer: no round trip is spent on it.
 */
async function readUpTo(sftp: SFTPWrapper, path: string, max: number, size: number, ended: () => boolean): Promise<Buffer | null> {
  const handle = await new Promise<Buffer | null>((resolve, reject) => sftp.open(path, 'r', (err, h) => (err ? (refused(err) ? resolve(null) : reject(new SftpUnanswered(err.message))) : resolve(h))));
  if (!handle) return null;
  try {
    const chunks: Buffer[] = [];
    let filled = 0;
    for (;;) {
      if (ended()) throw new SftpUnanswered('the SFTP session ended');
      // One more byte than lstat's size says whether the file grew since; a /proc file (size 0) is
      // read a chunk at a time to its end (its reads come short before that).
      const want = size > 0 ? Math.min(max, size + 1) - filled : Math.min(CHUNK, max - filled);
      if (want <= 0) break;
      const buffer = Buffer.alloc(want);
      const got = await new Promise<number | null>((resolve, reject) =>
        sftp.read(handle, buffer, 0, want, filled, (err, bytesRead) => {
          if (!err) return resolve(bytesRead);
          if ((err as { code?: unknown }).code === SSH_FX_EOF) return resolve(0);
          return refused(err) ? resolve(null) : reject(new SftpUnanswered(err.message));
        }),
      );
      if (got === null) return null;
      if (got === 0) break;
      chunks.push(buffer.subarray(0, got));
      filled += got;
      // A short read at lstat's size is the end: no round trip more to hear EOF.
      if (size > 0 && got < want && filled >= size) break;
    }
    return Buffer.concat(chunks, filled);
  } finally {
    if (!ended()) sftp.close(handle, () => undefined);
  }
}
