/** The transport layer's public surface: what the engine and commands import. */
export type { ExecOptions, ExecResult, Transport, UploadOptions } from './transport.js';
export { quote, sh } from './quote.js';
export { KnownHosts, checkHostKey, fingerprintSha256, formatKnownHostsLine, knownHostsName, parseKnownHosts } from './known-hosts.js';
export type { HostKeyVerdict, KnownHostsEntry, KnownHostsProblem } from './known-hosts.js';
export { SshTransport, JumpConnection, parseJumpHost, expandHome } from './ssh-transport.js';
export type { JumpHostSpec, SshHostSpec, SshSessionOptions } from './ssh-transport.js';
export { TransportPool, createSshPool } from './pool.js';
export { fanOut, DEFAULT_CONCURRENCY } from './fan-out.js';
export type { FanOutOptions, HostOutcome } from './fan-out.js';
export { BecomePassword, BECOME_PASSWORD_ENV } from './become.js';
export { CommandTimeoutError } from './errors.js';
export { defaultRetryPolicy } from './retry.js';
export type { RetryPolicy } from './retry.js';
export { LocalTransport } from './local-transport.js';
export { RecordingTransport } from './recording-transport.js';
export type { RecordedCall, Responder } from './recording-transport.js';
export type { TransportLogger } from './logger.js';
export { silentLogger } from './logger.js';
