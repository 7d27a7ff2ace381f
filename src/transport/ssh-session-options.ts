import type { BecomePassword } from './become.js';
import type { EarlyDials } from './early-dials.js';
import type { KnownHosts } from './known-hosts.js';
import type { TransportLogger } from './logger.js';
import type { RetryPolicy } from './retry.js';

/** Settings shared by every connection of a run. */
export interface SshSessionOptions {
  knownHosts: KnownHosts;
  /** Record keys of unknown hosts (`--accept-new-host-keys`). Changed keys are refused regardless. */
  acceptNewHostKeys?: boolean;
  /** Write accepted keys hashed, like HashKnownHosts. */
  hashKnownHosts?: boolean;
  /** SSH handshake timeout, for hosts whose spec sets none. Default 10 000. */
  readyTimeoutMs?: number;
  /** Default 15 000; 0 disables. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  retry?: RetryPolicy;
  /** ssh-agent socket; defaults to $SSH_AUTH_SOCK. `null` disables the agent. */
  agentSocket?: string | null;
  /** sudo password source, shared by all hosts of the run (asked at most once). */
  becomePassword?: BecomePassword;
  /** Ctrl-C: once aborted, no new connection, retry or command starts. */
  signal?: AbortSignal;
  logger?: TransportLogger;
  /**
   * A warning for the person running gridops, without its `warning: ` prefix. A host key recorded with
   * --accept-new-host-keys is said here, as OpenSSH's "Permanently added" line is: trust given on
   * first use must be seen when it is given, not found later in a log file.
   */
  warn?: (message: string) => void;
  /** Test hook: called before each retry with the attempt number and the error. */
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
  /** TCP connections the run opened early (early-dials.ts); a host's first handshake uses its own. */
  earlyDials?: EarlyDials;
  /** The keys tried for a host that names none; default ~/.ssh/id_{ed25519,ecdsa,rsa} (tests point it elsewhere). */
  defaultIdentityFiles?: readonly string[];
}

/** The connect timeout (ms) of a host when neither its spec nor the session sets one. */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
