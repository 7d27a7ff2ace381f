import { ConnectionError } from '../errors/index.js';
import { splitJumpHost } from '../topology/jump-host.js';

/** A jump (bastion) host, as an object or as `user@host:port`. */
export interface JumpHostSpec {
  host: string;
  port?: number;
  user?: string;
  identityFile?: string | string[];
  /** Connect timeout of the jump connection (ms); default: that of the host behind it (SshHostSpec.readyTimeoutMs). */
  readyTimeoutMs?: number;
}

/** Where and how to reach one host. */
export interface SshHostSpec {
  /** Name used in logs and errors; defaults to `host`. */
  name?: string;
  host: string;
  port?: number;
  /** Defaults to root. */
  user?: string;
  /** Private keys to offer, `~` expanded. Without any, ~/.ssh/id_{ed25519,ecdsa,rsa} are tried. */
  identityFiles?: string[];
  jumpHost?: JumpHostSpec | string;
  /**
   * This host's connect timeout (ms), per attempt: the handshake up to authentication and, through
   * a jump host, the jump host's channel to it; its jump connection gets the same unless the jump
   * spec sets its own. Default: the session's readyTimeoutMs. The topology's ssh.connectTimeout.
   */
  readyTimeoutMs?: number;
  /** Write this host's key hashed where --accept-new-host-keys records it (~/.ssh/config's HashKnownHosts for it); default: the session's hashKnownHosts. */
  hashKnownHosts?: boolean;
}

/** Parses `user@host:port` (user and port optional, `[v6]:port` accepted). */
export function parseJumpHost(spec: JumpHostSpec | string): JumpHostSpec {
  if (typeof spec !== 'string') return spec;
  const parts = splitJumpHost(spec.trim());
  if (!parts) throw new ConnectionError(spec, 'cannot read the jump host', 'write it as user@host:port, e.g. admin@bastion:22, and an IPv6 address in brackets: [2001:db8::1]:22');
  return { host: parts.host, ...(parts.user ? { user: parts.user } : {}), ...(parts.port ? { port: Number(parts.port) } : {}) };
}

/** The jump host of `spec`, parsed, with the connect timeout it inherits from the host behind it. */
export function jumpSpecOf(spec: SshHostSpec): JumpHostSpec | undefined {
  if (!spec.jumpHost) return undefined;
  const j = parseJumpHost(spec.jumpHost);
  return j.readyTimeoutMs === undefined && spec.readyTimeoutMs !== undefined ? { ...j, readyTimeoutMs: spec.readyTimeoutMs } : j;
}
