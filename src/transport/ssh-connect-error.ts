import { ConnectionError, HostKeyError, InterruptedError } from '../errors/index.js';
import { fingerprintSha256 } from './known-hosts.js';
import { sh } from './quote.js';
import { describeUnusable, refusedKeyHint, unusableHint } from './ssh-auth-hints.js';
import type { Endpoint } from './ssh-endpoint.js';
import { agentSocketOf, readIdentities } from './ssh-identities.js';
import type { SshSessionOptions } from './ssh-session-options.js';
import { isUnansweredConnect } from './unanswered-connect.js';

/** The error a connect ends with: gridops' own errors as they are, any other as a ConnectionError that says what to do. */
export function toConnectionError(ep: Endpoint, opts: SshSessionOptions, e: unknown, attempts: number): Error {
  if (e instanceof HostKeyError || e instanceof ConnectionError || e instanceof InterruptedError) return e;
  const err = e as { message?: string; level?: string; code?: string };
  const msg = err?.message ?? String(e);
  if (err?.level === 'client-authentication') {
    // Name what the host refused (each key by file and fingerprint, and the agent's), and the files
    // gridops did not offer, which may be why (an encrypted key the agent does not hold).
    const { keys, offered, unusable } = readIdentities(ep, opts);
    const agent = agentSocketOf(opts);
    const refused = [...offered.map((path, i) => `${path} (${keys[i]!.type} ${fingerprintSha256(keys[i]!.getPublicSSH())})`), ...(agent ? [`the keys of the ssh-agent (SSH_AUTH_SOCK=${agent})`] : [])];
    const what = refused.length ? `the host refused ${refused.join(', ')}` : 'gridops had no key to offer';
    const notOffered = unusable.length ? `; not offered: ${unusable.map(describeUnusable).join('; ')}${agent ? '' : '; no ssh-agent (SSH_AUTH_SOCK is not set)'}` : '';
    return new ConnectionError(ep.label, `authentication failed for ${ep.user}@${ep.host}:${ep.port}: ${what}${notOffered}`, unusable.length ? unusableHint(unusable, agent) : refusedKeyHint(ep, offered), { cause: e });
  }
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (isUnansweredConnect(e)) {
    const probe = sh(['nc', '-vz', '-w', '3', ep.host, String(ep.port)]);
    return new ConnectionError(ep.label, `cannot connect to ${ep.host}:${ep.port}${tries}: ${msg}`, `check that the host is up and that no firewall drops port ${ep.port} (\`${probe}\` from here); on a slow link, raise ssh.connectTimeout in the topology`, { cause: e });
  }
  return new ConnectionError(ep.label, `cannot connect to ${ep.host}:${ep.port}${tries}: ${msg}`, 'check that the host is up and sshd listens on that port, or raise ssh.connectTimeout in the topology (default 10s)', { cause: e });
}
