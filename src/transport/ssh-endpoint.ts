import type { JumpHostSpec } from './ssh-host-spec.js';

/** A host or jump host as one connection reaches it: its spec read, with the defaults filled in. */
export interface Endpoint {
  label: string;
  host: string;
  port: number;
  user: string;
  identityFiles?: string[];
  /** Connect timeout of one attempt (ms). */
  readyTimeoutMs: number;
  /** The host's own HashKnownHosts (SshHostSpec.hashKnownHosts), over the session's. */
  hashKnownHosts?: boolean;
  /** The jump host it is reached through: a host key hint fetches its key there (host-key-hints.ts). */
  jump?: JumpHostSpec;
}
