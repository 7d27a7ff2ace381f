import { remoteSeconds } from './held-read.js';
import { quote } from './quote.js';

/**
 * Wraps a command so the remote side can kill everything it started: GNU/busybox `timeout` puts
 * the command in its own process group and signals the group, on expiry (1 s after ours) or when
 * it receives our TERM. Without `timeout` on the host, only the channel is closed.
 */
export function withRemoteTimeout(command: string, timeoutMs: number): string {
  const secs = remoteSeconds(timeoutMs);
  // The gate's batch (`sh -s`, the script on stdin) runs as it is: `sh -c 'sh -s'` was one more exec per host.
  const run = command === 'sh -s' ? command : `sh -c ${quote(command)}`;
  return `if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 ${secs} ${run}; else exec ${run}; fi`;
}
