/**
 * A local Transport that also holds reads (Transport.execHeld), for tests of the apply's held
 * sessions without sshd: the held command runs in a local `sh`, its stdio standing in for an ssh2
 * channel, and the client's side is the real HeldChannel. Every exec and every held shell is kept,
 * so a test can tell which path a batch took and that no shell is left waiting. Like sshd's, each
 * held shell leads a session and a process group of its own, and the commands that end or watch a
 * batch (batch-group.ts) run here as they would on the host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { ClientChannel } from 'ssh2';
import { batchWatchdogCommand, endBatchCommand } from '../../src/transport/batch-group.js';
import { HeldChannel, heldReadCommand, heldSentinel, type HeldRead } from '../../src/transport/held-read.js';
import { ConnectionError } from '../../src/errors/index.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import type { ExecOptions, ExecResult, Transport, UploadOptions } from '../../src/transport/transport.js';

export class HeldLocalTransport implements Transport {
  /** The commands run with exec (the fallback path), in order. */
  readonly execs: string[] = [];
  /** The shells of held reads, and the script each was given. */
  readonly shells: ChildProcess[] = [];
  readonly scripts: string[] = [];
  private readonly local: LocalTransport;
  closed = false;

  /** Files read without a shell (queryFiles), for transports made with `sftp`. */
  readonly queried: string[] = [];

  /**
   * `endAfter`: held shells after this many end at once instead of waiting (a forced command, a
   * shell that exits). `sftp`: it also reads without a shell (Transport.queryFiles), as SshTransport does.
   */
  constructor(
    readonly name: string,
    private readonly options: { endAfter?: number; sftp?: boolean } = {},
  ) {
    this.local = new LocalTransport(name);
    if (!options.sftp) this.queryFiles = undefined;
  }

  queryFiles?: Transport['queryFiles'] = async (queries, options) => {
    this.checkOpen();
    this.queried.push(...queries.map((q) => q.path));
    return this.local.queryFiles(queries, options);
  };

  /** As SshTransport's: a closed connection takes no more work (a test must not pass on work done after close). */
  private checkOpen(): void {
    if (this.closed) throw new ConnectionError(this.name, 'the connection is already closed');
  }

  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    this.checkOpen();
    this.execs.push(command);
    return this.local.exec(command, options);
  }

  async execHeld(script: string, options: { timeoutMs: number }): Promise<HeldRead> {
    this.checkOpen();
    const sentinel = heldSentinel();
    const ends = this.options.endAfter !== undefined && this.shells.length >= this.options.endAfter;
    const child = spawn('sh', ['-c', ends ? 'exit 0' : heldReadCommand(script, sentinel)], { stdio: 'pipe', detached: true });
    this.shells.push(child);
    this.scripts.push(script);
    const channel = Object.assign(new EventEmitter(), {
      stderr: child.stderr,
      write: (data: string) => child.stdin.write(data),
      end: (data?: string) => child.stdin.end(data),
      close: () => child.kill('SIGTERM'),
    });
    child.stdout.on('data', (d: Buffer) => channel.emit('data', d));
    child.on('exit', (code, signal) => channel.emit('exit', code, signal?.replace(/^SIG/, '')));
    child.on('close', () => channel.emit('close'));
    const onHost = (command: string) => spawn('sh', ['-c', command], { stdio: 'ignore' });
    const held = new HeldChannel(this.name, channel as unknown as ClientChannel, sentinel, {
      end: (pid) => {
        child.kill('SIGTERM');
        if (pid !== undefined) onHost(endBatchCommand(pid));
      },
      watch: (pid, seconds) => onHost(batchWatchdogCommand(pid, seconds)),
    });
    return held.read(script, options.timeoutMs);
  }

  /** Shells that have not ended yet. */
  waitingShells(): ChildProcess[] {
    return this.shells.filter((c) => c.exitCode === null && c.signalCode === null);
  }

  async upload(remotePath: string, content: string | Buffer, options?: UploadOptions): Promise<void> {
    this.checkOpen();
    return this.local.upload(remotePath, content, options);
  }

  async read(remotePath: string, options?: { become?: boolean }): Promise<Buffer | null> {
    this.checkOpen();
    return this.local.read(remotePath, options);
  }

  async close(): Promise<void> {
    this.closed = true;
    // What closing an SSH connection does to its sessions.
    for (const shell of this.waitingShells()) shell.kill('SIGHUP');
  }
}
