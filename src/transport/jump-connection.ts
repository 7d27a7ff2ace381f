import type { Duplex } from 'node:stream';
import type { Client as SshClient } from 'ssh2';
import { endClient } from './closed-clients.js';
import { silentLogger } from './logger.js';
import { connectWithRetry } from './ssh-connect-retry.js';
import type { Endpoint } from './ssh-endpoint.js';
import { parseJumpHost, type JumpHostSpec } from './ssh-host-spec.js';
import { DEFAULT_READY_TIMEOUT_MS, type SshSessionOptions } from './ssh-session-options.js';

/** An open ssh2 connection to a jump host, shared by every target behind it. */
export class JumpConnection {
  private constructor(
    readonly label: string,
    private readonly client: SshClient,
  ) {}

  static async connect(spec: JumpHostSpec | string, opts: SshSessionOptions): Promise<JumpConnection> {
    const j = parseJumpHost(spec);
    const files = j.identityFile === undefined ? undefined : Array.isArray(j.identityFile) ? j.identityFile : [j.identityFile];
    const readyTimeoutMs = j.readyTimeoutMs ?? opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const ep: Endpoint = { label: `jump ${j.host}`, host: j.host, port: j.port ?? 22, user: j.user ?? 'root', ...(files ? { identityFiles: files } : {}), readyTimeoutMs };
    const log = opts.logger ?? silentLogger;
    return new JumpConnection(ep.label, await connectWithRetry(ep, opts, log));
  }

  /** A TCP stream to host:port opened by the jump host (direct-tcpip). */
  forward(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  close(): Promise<void> {
    return endClient(this.client);
  }

  /** Ends the connection at once, without the polite end close() waits for: for a host that answers nothing. */
  destroy(): void {
    this.client.destroy();
  }
}
