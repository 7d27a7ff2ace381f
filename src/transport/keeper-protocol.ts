/**
 * The connection keeper's wire protocol (OpenSSH ControlPersist's idea, for ssh2): a local
 * process holds verified SSH connections between runs, and a run asks it over a unix socket of
 * mode 0600, in a directory of mode 0700, to run commands on them. One JSON object per line.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, GridopsError, HostKeyError, InterruptedError, messageUnder, RemoteCommandError } from '../errors/index.js';
import { GRIDOPS_VERSION, runningBuild } from '../version.js';
import { CommandTimeoutError } from './errors.js';
import type { SshHostSpec } from './ssh-host-spec.js';
import type { KnownHostsText } from './known-hosts.js';
import type { ExecResult, FileAnswer, FileAttrs, FileQuery } from './transport.js';

/** What a run asks the keeper. `conn` names a connection the keeper returned from `connect`. */
export type KeeperRequest =
  // `agentSocket`: the run's SSH_AUTH_SOCK (absent where it has none), for a connection the keeper
  // opens for it: the keeper's own, from the run that started it, may be gone (the operator logged
  // in again with `ssh -A`). A kept connection is reused whatever agent it logged in with: it is
  // logged in already, and gridops forwards no agent, so no later use of it reaches one.
  | { id: number; op: 'connect'; spec: SshHostSpec; readyTimeoutMs: number; persistMs: number; agentSocket?: string }
  | { id: number; op: 'exec'; conn: string; command: string; become?: boolean; timeoutMs?: number; readOnly?: boolean; stdin?: string; stream?: boolean }
  // Exactly one of `content` (small bytes, base64) and `localPath` (an absolute path on this machine, which the keeper streams from).
  | { id: number; op: 'upload'; conn: string; path: string; content?: string; localPath?: string; mode?: number; become?: boolean; rootOnlyDir?: boolean }
  | { id: number; op: 'read'; conn: string; path: string; become?: boolean }
  // A held read (held-read.ts) on a kept connection: `held` in proceed and release is the id of its execHeld request.
  // `sftpLater`: a later run could read this host without a shell (the keeper readies its session
  // once `pid`, the run's process, has exited).
  | { id: number; op: 'execHeld'; conn: string; script: string; timeoutMs: number; become?: boolean; sftpLater?: boolean; pid?: number }
  | { id: number; op: 'proceed'; conn: string; held: number; script: string; timeoutMs: number; stream?: boolean }
  // A read without a shell (Transport.queryFiles) on an SFTP session of the kept connection.
  | { id: number; op: 'queryFiles'; conn: string; queries: FileQuery[]; timeoutMs: number; become?: boolean }
  | { id: number; op: 'cancel'; target: number }
  | { id: number; op: 'release'; held: number };

type FieldType = 'string' | 'number' | 'boolean' | 'object' | 'array';
/** Each op's fields and their types; `?` marks one a request may leave out. */
const REQUEST_FIELDS: Record<KeeperRequest['op'], Record<string, FieldType>> = {
  connect: { spec: 'object', readyTimeoutMs: 'number', persistMs: 'number', 'agentSocket?': 'string' },
  exec: { conn: 'string', command: 'string', 'become?': 'boolean', 'timeoutMs?': 'number', 'readOnly?': 'boolean', 'stdin?': 'string', 'stream?': 'boolean' },
  upload: { conn: 'string', path: 'string', 'content?': 'string', 'localPath?': 'string', 'mode?': 'number', 'become?': 'boolean', 'rootOnlyDir?': 'boolean' },
  read: { conn: 'string', path: 'string', 'become?': 'boolean' },
  execHeld: { conn: 'string', script: 'string', timeoutMs: 'number', 'become?': 'boolean', 'sftpLater?': 'boolean', 'pid?': 'number' },
  proceed: { conn: 'string', held: 'number', script: 'string', timeoutMs: 'number', 'stream?': 'boolean' },
  queryFiles: { conn: 'string', queries: 'array', timeoutMs: 'number', 'become?': 'boolean' },
  cancel: { target: 'number' },
  release: { held: 'number' },
};

const typeOf = (v: unknown): FieldType | 'other' => (Array.isArray(v) ? 'array' : v === null ? 'other' : (typeof v as FieldType));

/**
 * A line from a run as a request, or undefined where it is not one (not JSON, an unknown op, a
 * field missing or of another type): the keeper then ends that run's socket, and only that one.
 */
export function parseKeeperRequest(line: string): KeeperRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeOf(value) !== 'object') return undefined;
  const req = value as Record<string, unknown>;
  if (typeof req.id !== 'number' || typeof req.op !== 'string' || !Object.hasOwn(REQUEST_FIELDS, req.op)) return undefined;
  for (const [field, type] of Object.entries(REQUEST_FIELDS[req.op as KeeperRequest['op']])) {
    const name = field.replace(/\?$/, '');
    if (req[name] === undefined ? !field.endsWith('?') : typeOf(req[name]) !== type) return undefined;
  }
  if (req.op === 'connect' && typeof (req.spec as Record<string, unknown>).host !== 'string') return undefined;
  if (req.op === 'upload' && (req.content === undefined) === (req.localPath === undefined)) return undefined;
  return req as unknown as KeeperRequest;
}

/**
 * The longest request line the keeper takes, in characters. Far above a real one (a batch's script
 * with its files as base64: big files go as an upload by path); a longer line is refused with an
 * error as soon as it crosses this, and its rest dropped unread (line-splitter.ts).
 */
export const KEEPER_MAX_REQUEST_CHARS = 16 * 2 ** 20;

/**
 * The longest answer line, in characters: above the requests' bound, for a command's whole output
 * or a file read back (base64). The keeper answers an error instead of a longer one; the client
 * lets go of a keeper that sends one all the same.
 */
export const KEEPER_MAX_REPLY_CHARS = 64 * 2 ** 20;

/** The id at the start of a request line (the client writes it first), so that an over-long line can be answered; undefined where there is none. */
export function requestIdOf(head: string): number | undefined {
  const m = /^\{"id":(\d{1,15})[,}]/.exec(head);
  return m ? Number(m[1]) : undefined;
}

/** The keeper's answer to execHeld: `held` null where the read is not held (become through sudo); `waiting` false once its shell ended. */
export interface KeptHeldReply {
  held: number | null;
  result?: ExecResult;
  waiting?: boolean;
}

/** A FileAnswer as it crosses the socket: the content in base64. */
export interface WireFileAnswer {
  lstat?: FileAttrs | null;
  stat?: FileAttrs | null;
  content?: string | null;
}

/** queryFiles' answers for the socket: null where the keeper's SFTP session could not answer (the run reads with the shell). */
export function fileAnswersToWire(answers: ReadonlyMap<string, FileAnswer> | undefined): Array<[string, WireFileAnswer]> | null {
  if (!answers) return null;
  return [...answers].map(([path, { content, ...attrs }]) => [path, { ...attrs, ...(content !== undefined ? { content: content === null ? null : content.toString('base64') } : {}) }]);
}

/**
 * The answers again, from the socket; undefined for null, and for a keeper started by an older
 * gridops, which answers nothing to an op it does not know.
 */
export function fileAnswersFromWire(wire: unknown): Map<string, FileAnswer> | undefined {
  if (!Array.isArray(wire)) return undefined;
  return new Map(
    (wire as Array<[string, WireFileAnswer]>).map(([path, { content, ...attrs }]) => [path, { ...attrs, ...(content !== undefined ? { content: content === null ? null : Buffer.from(content, 'base64') } : {}) }]),
  );
}

/** The keeper's answers: a result, a failure, or (for a streamed exec) a piece of stdout. */
export type KeeperReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError } | { id: number; chunk: string };

/** An error as it crosses the socket; `fromWire` makes the same class again, so callers' `instanceof` checks hold. */
export interface WireError {
  kind: 'HostKeyError' | 'ConnectionError' | 'RemoteCommandError' | 'CommandTimeoutError' | 'InterruptedError' | 'Error';
  message: string;
  hint?: string;
  host?: string;
  step?: string;
  exitStatus?: number | null;
  stderr?: string;
  timeoutMs?: number;
}

export function toWire(err: unknown): WireError {
  const e = err as Error & Partial<WireError>;
  const base = { message: e?.message ?? String(err), ...(err instanceof GridopsError && err.hint ? { hint: err.hint } : {}) };
  if (err instanceof HostKeyError) return { kind: 'HostKeyError', ...base, host: err.host };
  if (err instanceof ConnectionError) return { kind: 'ConnectionError', ...base, host: err.host };
  if (err instanceof CommandTimeoutError) return { kind: 'CommandTimeoutError', ...base, host: err.host, stderr: err.stderr, timeoutMs: err.timeoutMs };
  if (err instanceof RemoteCommandError) return { kind: 'RemoteCommandError', ...base, host: err.host, step: err.step, exitStatus: err.exitStatus, stderr: err.stderr };
  if (err instanceof InterruptedError) return { kind: 'InterruptedError', ...base };
  return { kind: 'Error', ...base };
}

export function fromWire(w: WireError): Error {
  const host = w.host ?? '?';
  let err: Error;
  switch (w.kind) {
    case 'HostKeyError':
      // What was refused, as a refusal of several keys built from it (refused-keys.ts) says it.
      err = new HostKeyError(host, messageUnder(host, w.message), w.hint ?? '');
      break;
    case 'ConnectionError':
      err = new ConnectionError(host, '', w.hint);
      break;
    case 'CommandTimeoutError':
      err = new CommandTimeoutError(host, '', w.timeoutMs ?? 0, w.stderr ?? '');
      break;
    case 'RemoteCommandError':
      err = new RemoteCommandError(host, w.step ?? '', w.exitStatus ?? null, w.stderr ?? '');
      break;
    case 'InterruptedError':
      err = new InterruptedError('', w.hint);
      break;
    default:
      err = new Error('');
  }
  err.message = w.message;
  return err;
}

/** Where keepers' sockets live: $GRIDOPS_KEEPER_DIR, else $XDG_RUNTIME_DIR/gridops-keeper, else ~/.cache/gridops/keeper. */
export function keeperDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GRIDOPS_KEEPER_DIR) return env.GRIDOPS_KEEPER_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'gridops-keeper');
  return join(homedir(), '.cache', 'gridops', 'keeper');
}

/**
 * The socket of the keeper for a set of known_hosts files as they are now (the user's, then the
 * global ones): each file's path and content are in the name, so once any of them changes (a key
 * removed or replaced, an `@revoked` line added to /etc/ssh/ssh_known_hosts) no run reaches the old
 * keeper or the connections it verified against the old content; that keeper ends when idle. So is
 * the build (`build`): a keeper started by another build (it takes runs for up to 30 minutes) would
 * not know a request's newer fields and would go on without them, such as an upload's `rootOnlyDir`.
 */
export function keeperSocket(dir: string, knownHosts: ReadonlyArray<Pick<KnownHostsText, 'file' | 'text' | 'readOnly'>>, build: string = runningBuild() ?? GRIDOPS_VERSION): string {
  const files = knownHosts.map((k) => [k.file, k.text, k.readOnly]);
  const digest = createHash('sha256').update(`${JSON.stringify(files)}\0${build}`).digest('hex').slice(0, 32);
  return join(dir, `${digest}.sock`);
}

/** A connection's identity inside the keeper: everything that decides where and as whom it logs in. */
export function connectionKey(spec: SshHostSpec): string {
  return JSON.stringify([spec.user ?? 'root', spec.host, spec.port ?? 22, spec.identityFiles ?? [], spec.jumpHost ?? null]);
}
