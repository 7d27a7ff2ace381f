/**
 * Transport for the local machine: commands run through `sh -c` (execa), files are written with
 * temp file + rename. Used by tests and the local lab. become uses `sudo -n` (no password support)
 * and is a no-op when already root.
 */
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { createReadStream, createWriteStream, promises as fs, type Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { ConnectionError, InterruptedError, RemoteCommandError } from '../errors/index.js';
import { BecomeHandshake, becomeToken, planBecome } from './become.js';
import { CommandTimeoutError } from './errors.js';
import { quote } from './quote.js';
import { makeRootOnlyDir, stageInRootOnlyDirScript, type DirAttrs } from './root-only-dir.js';
import { answerFileQueries } from './sftp-queries.js';
import { isLocalFile, type ExecOptions, type ExecResult, type FileAnswer, type FileAttrs, type FileQuery, type Transport, type UploadContent, type UploadOptions } from './transport.js';

export class LocalTransport implements Transport {
  readonly user = userInfo().username;
  private readonly token = becomeToken();

  constructor(
    readonly name = 'localhost',
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const raw = await this.run(command, options);
    return { stdout: raw.stdout.toString('utf8'), stderr: raw.stderr, code: raw.code, ...(raw.signal ? { signal: raw.signal } : {}) };
  }

  /** `inputFile`: a local file streamed to the command's stdin (an upload's LocalFile), instead of `options.stdin`. */
  private async run(command: string, options: ExecOptions, inputFile?: string): Promise<{ stdout: Buffer; stderr: string; code: number | null; signal?: string }> {
    if (options.signal?.aborted) throw new InterruptedError(`${this.name}: command interrupted before it started`);
    const plan = planBecome(command, { user: this.user, become: options.become ?? false, withPassword: false, token: this.token });
    // Own process group, so a timeout kills the command's children too (they hold the pipes open).
    const child = execa('sh', ['-c', plan.command], {
      reject: false,
      stripFinalNewline: false,
      encoding: 'buffer',
      env: this.env,
      extendEnv: false,
      detached: true,
      ...(inputFile !== undefined ? { inputFile } : { input: options.stdin === undefined ? '' : options.stdin }),
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    if (options.onStdout) {
      const live = new StringDecoder('utf8');
      child.stdout?.on('data', (d: Buffer) => options.onStdout!(live.write(d)));
    }
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = options.timeoutMs ? setTimeout(() => ((timedOut = true), killGroup()), options.timeoutMs) : undefined;
    options.signal?.addEventListener('abort', killGroup, { once: true });
    const r = await child.finally(() => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', killGroup);
    });
    let stderr = Buffer.from(r.stderr).toString('utf8');
    if (timedOut) throw new CommandTimeoutError(this.name, command, options.timeoutMs!, stderr);
    if (r.isCanceled) throw new InterruptedError(`${this.name}: command interrupted`);
    if (plan.handshake) {
      const shake = new BecomeHandshake(plan.handshake);
      const { passthrough } = shake.feed(stderr);
      if (!shake.started) throw new ConnectionError(this.name, `become (sudo) failed for ${this.user}: ${shake.finish().trim()}`, 'allow this user passwordless sudo, or run as root');
      stderr = passthrough;
    }
    return { stdout: Buffer.from(r.stdout), stderr, code: r.exitCode ?? null, ...(r.signal ? { signal: r.signal.replace(/^SIG/, '') } : {}) };
  }

  async upload(remotePath: string, content: UploadContent, options: UploadOptions = {}): Promise<void> {
    const mode = options.mode ?? 0o644;
    if (options.rootOnlyDir) return this.uploadToRootOnlyDir(remotePath, content, mode, options.become ?? false);
    const tmp = join(dirname(remotePath), `.${basename(remotePath)}.gridops-${randomBytes(6).toString('hex')}`);
    if (options.become && this.user !== 'root') {
      // -T: a directory at the target is an error (as rename(2) makes it below), not a place to move into; the temp file never outlives a failure.
      const script = `cat > ${quote(tmp)} && chmod ${mode.toString(8)} ${quote(tmp)} && mv -f -T -- ${quote(tmp)} ${quote(remotePath)}; rc=$?; rm -f -- ${quote(tmp)}; exit $rc`;
      const r = await this.runWithContent(script, content);
      if (r.code !== 0) throw new RemoteCommandError(this.name, `upload ${remotePath}`, r.code, r.stderr);
      return;
    }
    try {
      await writeNew(tmp, content, mode);
      await fs.chmod(tmp, mode); // writeFile's mode is filtered by umask
      await fs.rename(tmp, remotePath);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw new RemoteCommandError(this.name, `upload ${remotePath}`, null, (e as Error).message);
    }
  }

  /** Transport.upload with `rootOnlyDir`: as SshTransport's, with the process's own file system calls (or a script under sudo). */
  private async uploadToRootOnlyDir(remotePath: string, content: UploadContent, mode: number, become: boolean): Promise<void> {
    const step = `upload ${remotePath}`;
    if (become && this.user !== 'root') {
      // noclobber: the name was just removed, so the file is made anew (O_EXCL), never opened through a symlink.
      const fill = `umask 077 && set -C && cat > "$f" && chmod ${mode.toString(8)} "$f"`;
      const r = await this.runWithContent(stageInRootOnlyDirScript(remotePath, fill), content);
      if (r.code !== 0) throw new RemoteCommandError(this.name, step, r.code, r.stderr);
      return;
    }
    const attrs = (stats: Promise<Stats>): Promise<DirAttrs | null> =>
      stats.then(
        (st) => ({ mode: st.mode, uid: st.uid }),
        (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)),
      );
    try {
      await makeRootOnlyDir(dirname(remotePath), { lstat: (p) => attrs(fs.lstat(p)), stat: (p) => attrs(fs.stat(p)), readlink: (p) => fs.readlink(p), mkdir: (p, m) => fs.mkdir(p, { mode: m }) });
      // unlink never follows a symlink; 'wx' (O_EXCL) makes the file anew.
      await fs.unlink(remotePath).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
      await writeNew(remotePath, content, mode);
      await fs.chmod(remotePath, mode); // writeFile's mode is filtered by umask
    } catch (e) {
      throw new RemoteCommandError(this.name, step, null, (e as Error).message);
    }
  }

  /** Runs `script` through sudo with the upload's content on its stdin: a LocalFile streamed from disk, never read whole. */
  private runWithContent(script: string, content: UploadContent): Promise<{ stdout: Buffer; stderr: string; code: number | null }> {
    return isLocalFile(content) ? this.run(script, { become: true }, content.localPath) : this.run(script, { become: true, stdin: Buffer.from(content) });
  }

  /** Transport.queryFiles with the process's own file system calls, as SFTP answers them. */
  async queryFiles(queries: readonly FileQuery[], options: { become?: boolean; timeoutMs: number }): Promise<Map<string, FileAnswer> | undefined> {
    if (options.become && this.user !== 'root') return undefined;
    const attrs = (stats: Promise<Stats>): Promise<FileAttrs | null> => stats.then((st) => ({ mode: st.mode, uid: st.uid, gid: st.gid, size: st.size }), () => null);
    return answerFileQueries({ lstat: (path) => attrs(fs.lstat(path)), stat: (path) => attrs(fs.stat(path)), read: (path, max, size) => readStart(path, size > 0 ? Math.min(max, size + 1) : max) }, queries);
  }

  async read(remotePath: string, options: { become?: boolean } = {}): Promise<Buffer | null> {
    if (options.become && this.user !== 'root') {
      const r = await this.run(`if [ -e ${quote(remotePath)} ]; then exec cat -- ${quote(remotePath)}; else exit 3; fi`, { become: true });
      if (r.code === 3) return null;
      if (r.code !== 0) throw new RemoteCommandError(this.name, `read ${remotePath}`, r.code, r.stderr);
      return r.stdout;
    }
    try {
      return await fs.readFile(remotePath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new RemoteCommandError(this.name, `read ${remotePath}`, null, (e as Error).message);
    }
  }

  async close(): Promise<void> {}
}

/** Makes `path` anew ('wx': O_EXCL, never through a symlink at the name) with `content`; a LocalFile is streamed from disk. */
async function writeNew(path: string, content: UploadContent, mode: number): Promise<void> {
  if (!isLocalFile(content)) return fs.writeFile(path, content, { mode, flag: 'wx' });
  await pipeline(createReadStream(content.localPath), createWriteStream(path, { flags: 'wx', mode }));
}

/** Up to `max` bytes from the start of a file, or null when it cannot be opened or read. */
async function readStart(path: string, max: number): Promise<Buffer | null> {
  const file = await fs.open(path, 'r').catch(() => null);
  if (!file) return null;
  try {
    const buffer = Buffer.alloc(max);
    let filled = 0;
    for (let got = -1; got !== 0 && filled < max; filled += got) got = (await file.read(buffer, filled, max - filled, filled)).bytesRead;
    return buffer.subarray(0, filled);
  } catch {
    return null;
  } finally {
    await file.close();
  }
}
