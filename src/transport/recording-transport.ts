/**
 * A fake Transport for hermetic unit tests: an in-memory filesystem, scripted command responses,
 * and an ordered record of everything that would have been done to the host.
 *
 *   const host = new RecordingTransport('web1')
 *     .file('/etc/os-release', 'ID=debian\n')
 *     .on(/^systemctl is-active /, () => ({ stdout: 'active\n' }));
 *   await phase.run(host);
 *   expect(host.commands()).toEqual(['systemctl is-active gridagent']);
 *
 * An exec that no responder matches throws, so a test notices every unexpected command; pass
 * `{ unscripted: 'ok' }` to answer those with exit 0 instead. Work asked of it after close() is
 * refused as SshTransport refuses it, so a test notices code that uses a host it let go.
 */
import { readFile } from 'node:fs/promises';
import { ConnectionError, InterruptedError } from '../errors/index.js';
import { isLocalFile, type ExecOptions, type ExecResult, type Transport, type UploadContent, type UploadOptions } from './transport.js';

export interface RecordedFile {
  content: Buffer;
  mode: number;
}

export type RecordedCall =
  | { kind: 'exec'; command: string; become: boolean; stdin?: string; timeoutMs?: number }
  /** `localPath`: the upload was of a local file, by its path (its bytes read into `content` here, a fake's in-memory filesystem). */
  | { kind: 'upload'; path: string; content: Buffer; mode: number; become: boolean; rootOnlyDir?: true; localPath?: string }
  | { kind: 'read'; path: string; become: boolean }
  | { kind: 'close' };

/** What a responder returns; missing fields default to empty output and exit 0. */
export type ScriptedResult = Partial<ExecResult>;
export type Responder = (command: string, ctx: { match: RegExpMatchArray; files: Map<string, RecordedFile>; options: ExecOptions }) => ScriptedResult | Promise<ScriptedResult>;

export class RecordingTransport implements Transport {
  /** The in-memory filesystem that upload() writes and read() reads. Responders may use it too. */
  readonly files = new Map<string, RecordedFile>();
  /** Every call, in order. */
  readonly calls: RecordedCall[] = [];
  private readonly responders: Array<{ pattern: RegExp; respond: Responder }> = [];
  closed = false;

  constructor(
    readonly name = 'host',
    private readonly options: { unscripted?: 'throw' | 'ok' } = {},
  ) {}

  /** Adds a responder; later ones win over earlier ones, so a test can override a default. */
  on(pattern: RegExp, respond: Responder | ScriptedResult): this {
    this.responders.unshift({ pattern, respond: typeof respond === 'function' ? respond : () => respond });
    return this;
  }

  /** Seeds a file. */
  file(path: string, content: string | Buffer, mode = 0o644): this {
    this.files.set(path, { content: Buffer.from(content), mode });
    return this;
  }

  /** The exec'd commands, in order. */
  commands(): string[] {
    return this.calls.flatMap((c) => (c.kind === 'exec' ? [c.command] : []));
  }

  /** Every mutation (exec and upload), as short lines, for snapshot-style assertions. */
  transcript(): string[] {
    return this.calls.flatMap((c) => {
      if (c.kind === 'exec') return [`${c.become ? 'sudo ' : ''}exec ${c.command}`];
      if (c.kind === 'upload') return [`${c.become ? 'sudo ' : ''}upload ${c.path} (${c.mode.toString(8)}, ${c.content.length} bytes${c.rootOnlyDir ? ', in a root-only dir' : ''})`];
      return [];
    });
  }

  /** As SshTransport's: a closed connection takes no more work. */
  private checkOpen(): void {
    if (this.closed) throw new ConnectionError(this.name, 'the connection is already closed');
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    // An interrupt first, as SshTransport checks it: after Ctrl-C a closed host says "interrupted" too.
    if (options.signal?.aborted) throw new InterruptedError(`${this.name}: command interrupted before it started`);
    this.checkOpen();
    this.calls.push({
      kind: 'exec',
      command,
      become: options.become ?? false,
      ...(options.stdin !== undefined ? { stdin: options.stdin.toString() } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    for (const { pattern, respond } of this.responders) {
      const match = command.match(pattern);
      if (match) {
        const r = await respond(command, { match, files: this.files, options });
        if (r.stdout) options.onStdout?.(r.stdout);
        return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.code === undefined ? 0 : r.code, ...(r.signal ? { signal: r.signal } : {}) };
      }
    }
    if (this.options.unscripted === 'ok') return { stdout: '', stderr: '', code: 0 };
    throw new Error(`RecordingTransport(${this.name}): no responder for command: ${command}`);
  }

  async upload(remotePath: string, content: UploadContent, options: UploadOptions = {}): Promise<void> {
    this.checkOpen();
    const buf = isLocalFile(content) ? await readFile(content.localPath) : Buffer.from(content);
    const mode = options.mode ?? 0o644;
    this.calls.push({ kind: 'upload', path: remotePath, content: buf, mode, become: options.become ?? false, ...(options.rootOnlyDir ? { rootOnlyDir: true as const } : {}), ...(isLocalFile(content) ? { localPath: content.localPath } : {}) });
    this.files.set(remotePath, { content: buf, mode });
  }

  async read(remotePath: string, options: { become?: boolean } = {}): Promise<Buffer | null> {
    this.checkOpen();
    this.calls.push({ kind: 'read', path: remotePath, become: options.become ?? false });
    const f = this.files.get(remotePath);
    return f ? Buffer.from(f.content) : null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.calls.push({ kind: 'close' });
  }
}
