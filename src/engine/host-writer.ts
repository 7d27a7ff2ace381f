import { basename, dirname } from 'node:path/posix';
import { RemoteCommandError } from '../errors/index.js';
import { quote } from '../transport/quote.js';
import type { ExecResult, Transport } from '../transport/transport.js';

/**
 * The only handle through which a resource changes a host. The mutation gate creates one per
 * host; planning code never sees one, so a plan cannot change anything by construction.
 */
export class HostWriter {
  private unitsChangedSinceReload = false;
  private aptUpdated = false;

  constructor(
    readonly transport: Transport,
    private readonly become: boolean,
  ) {}

  get host(): string {
    return this.transport.name;
  }

  /** Runs a command built with quote()/sh(); a non-zero exit becomes a RemoteCommandError with the remote stderr. */
  async run(command: string, step: string, options: { timeoutMs?: number; stdin?: string | Buffer } = {}): Promise<ExecResult> {
    // No abort signal here on purpose: Ctrl-C lets a running step finish (or time out) and only stops new ones.
    const result = await this.transport.exec(command, { become: this.become, timeoutMs: options.timeoutMs ?? 300_000, stdin: options.stdin });
    if (result.code !== 0) throw new RemoteCommandError(this.host, step, result.code, result.stderr || result.stdout);
    return result;
  }

  /**
   * Atomic write (temp file in the same directory, then rename) with the given octal mode.
   * The bytes travel on stdin of one command: one round trip, where SFTP needs about six.
   */
  async write(path: string, content: Buffer, mode: string): Promise<void> {
    const template = quote(`${dirname(path)}/.${basename(path)}.gridops.XXXXXX`);
    const command = `t=$(mktemp ${template}) && { cat > "$t" && chmod ${mode} "$t" && mv -f "$t" ${quote(path)} || { rm -f "$t"; exit 1; }; }`;
    await this.run(command, `write ${path}`, { stdin: content });
  }

  /** Records that a unit file changed; the next `reloadSystemdIfNeeded` runs daemon-reload. */
  unitFileChanged(): void {
    this.unitsChangedSinceReload = true;
  }

  /** daemon-reload at most once per batch of unit file changes on this host. */
  async reloadSystemdIfNeeded(): Promise<void> {
    if (!this.unitsChangedSinceReload) return;
    await this.run('systemctl daemon-reload', 'systemctl daemon-reload');
    this.unitsChangedSinceReload = false;
  }

  /** apt-get update at most once per run on this host, before the first install. */
  async aptUpdateOnce(): Promise<void> {
    if (this.aptUpdated) return;
    await this.run('DEBIAN_FRONTEND=noninteractive apt-get update -q', 'apt-get update');
    this.aptUpdated = true;
  }
}
