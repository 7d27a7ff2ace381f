/** What a command run on a host returned. `code` is null when the process died by a signal. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin, then closed. */
  stdin?: string | Buffer;
  /** Run through the host's become method (sudo) when the SSH user is not root. */
  become?: boolean;
  timeoutMs?: number;
  /**
   * The command only reads (facts and probes): on a timeout its channel is closed, but it runs
   * without the remote `timeout` wrapper that kills what a changing command started (an exec
   * and a fork fewer on the host, every plan). A probe stuck on the host ends on its own.
   */
  readOnly?: boolean;
  /** Aborting kills this command's channel (the run's own signal only stops new commands). */
  signal?: AbortSignal;
  /** Called with stdout as it arrives (UTF-8 text), for live progress; the result still holds all of it. */
  onStdout?: (text: string) => void;
}

/** A held read (Transport.execHeld, held-read.ts): its output, then exactly one of proceed or release. */
export interface HeldRead {
  /** The read's stdout and stderr, and its exit status (the subshell's). */
  readonly result: ExecResult;
  /** Whether the shell still waits: false once it ended (the connection dropped, or release). */
  readonly waiting: boolean;
  /** Runs the sh `script` in the waiting shell, bounded by its process group past `timeoutMs` (batch-group.ts); stdout as it arrives to `onStdout`. Once. */
  proceed(script: string, options: { timeoutMs: number; onStdout?: (text: string) => void }): Promise<ExecResult>;
  /** Ends the waiting shell without running anything (no-op once proceeded or ended). */
  release(): void;
}

/**
 * One path of a read without a shell (Transport.queryFiles): its lstat, its stat (links
 * followed), and, for a regular file, its first `read` bytes.
 */
export interface FileQuery {
  path: string;
  lstat?: boolean;
  stat?: boolean;
  /** Read the content of a path whose lstat says regular file, up to this many bytes (one more says "longer"). */
  read?: number;
}

/** A file's attributes as SFTP gives them (numeric owner and group; `mode` with its S_IFMT type bits). */
export interface FileAttrs {
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

/** What a FileQuery found: null where the path could not be stat'ed (missing, or any other error) or read. */
export interface FileAnswer {
  lstat?: FileAttrs | null;
  stat?: FileAttrs | null;
  /** Up to `read` + 1 bytes; undefined when not asked or not a regular file. */
  content?: Buffer | null;
}

/**
 * A file on the operator's machine, by its path, that the transport reads as it sends it: a big
 * file (the sandbox's base image, GBs) is never read whole into memory, and under `--persist` only
 * its path crosses the keeper's socket (the keeper, the same user, reads the file itself).
 */
export interface LocalFile {
  localPath: string;
}

/** What an upload writes: bytes held in memory (small content), or a local file streamed from disk. */
export type UploadContent = string | Buffer | LocalFile;

export function isLocalFile(content: UploadContent): content is LocalFile {
  return typeof content === 'object' && !Buffer.isBuffer(content);
}

export interface UploadOptions {
  /** Octal file mode, e.g. 0o600. */
  mode?: number;
  become?: boolean;
  /**
   * The file's directory must be root's alone (root-only-dir.ts): made (0700) where absent, and
   * the upload refused unless it is a directory itself (not a symlink), owned by root, mode 0700.
   * The file is written there under its own name (what was at it removed, never followed), not
   * renamed into place: an interrupted upload leaves only it, and the next overwrites it. For a
   * big file its caller checks before moving it (the sandbox's base image); root, or become.
   */
  rootOnlyDir?: boolean;
}

/**
 * The one connection to a host, reused for the whole run. Every implementation (ssh2, local,
 * the recording fake) offers exactly this; nothing else in gridops talks to a host directly.
 * `command` strings must be built with `quote()` from ./quote.js for every interpolated value.
 */
export interface Transport {
  /** Name used as the prefix of every log line about this host. */
  readonly name: string;
  /**
   * The user the connection logged in as (the topology's ssh.user, or ~/.ssh/config's User where
   * the topology wrote none), where the transport knows it; the default of `become` follows it.
   */
  readonly loginUser?: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Runs the read-only sh `script` and keeps its session for what is planned from it
   * (held-read.ts): the apply's batch runs there instead of in a session of its own. Optional,
   * and undefined where it does not apply (become through sudo): the caller then uses exec.
   * `laterWithoutShell`: whether a later read of this host could go without a shell
   * (engine/read-without-shell.ts), asked only by a transport that keeps the connection for later
   * runs (the keeper readies that read's SFTP session once the run lets go).
   */
  execHeld?(script: string, options: { timeoutMs: number; become?: boolean; laterWithoutShell?: () => boolean }): Promise<HeldRead | undefined>;
  /**
   * Stats and reads files without a shell (SFTP: no process but the server's on the host), as
   * the login user. Optional; undefined where it cannot read as the caller needs (`become` with a
   * user other than root), and the caller then reads with a shell. Reads nothing that is not a
   * regular file by its lstat (opening a FIFO would block).
   */
  queryFiles?(queries: readonly FileQuery[], options: { become?: boolean; timeoutMs: number }): Promise<Map<string, FileAnswer> | undefined>;
  /** Writes the whole file atomically (temp file + rename) with the given mode; a LocalFile is streamed, never held whole. */
  upload(remotePath: string, content: UploadContent, options?: UploadOptions): Promise<void>;
  /** The file's bytes, or null when it does not exist. */
  read(remotePath: string, options?: { become?: boolean }): Promise<Buffer | null>;
  close(): Promise<void>;
}
