import { isIP } from 'node:net';
import { ConnectionError, HostKeyError, InterruptedError } from '../errors/index.js';
import { fingerprintSha256 } from './known-hosts.js';
import { sh } from './quote.js';
import { describeUnusable, refusedKeyHint, unusableHint } from './ssh-auth-hints.js';
import type { Endpoint } from './ssh-endpoint.js';
import { agentSocketOf, readIdentities } from './ssh-identities.js';
import type { SshSessionOptions } from './ssh-session-options.js';
import { connectFailureKind, type ConnectFailureKind } from './connect-failure-kind.js';
import { timeoutSetting } from './connect-timeout-words.js';

/** The error a connect ends with: gridops' own errors as they are, any other as a ConnectionError that says what to do. */
export function toConnectionError(ep: Endpoint, opts: SshSessionOptions, e: unknown, attempts: number): Error {
  if (e instanceof HostKeyError || e instanceof ConnectionError || e instanceof InterruptedError) return e;
  const err = e as { message?: string; level?: string; code?: string };
  const msg = err?.message ?? String(e);
  if (err?.level === 'client-authentication') {
    // Name what the host refused (each key by file and fingerprint, and the agent's), and the files
    // gridops did not offer, which may be why (an encrypted key the agent does not hold).
    const { keys, offered, unusable, agentChosen } = readIdentities(ep, opts);
    const agent = agentSocketOf(opts);
    const refused = [...offered.map((path, i) => `${path} (${keys[i]!.type} ${fingerprintSha256(keys[i]!.getPublicSSH())})`), ...(agent ? [`the keys of the ssh-agent (SSH_AUTH_SOCK=${agent})`] : [])];
    const what = refused.length ? `the host refused ${refused.join(', ')}` : 'gridops had no key to offer';
    const notOffered = unusable.length ? `; not offered: ${unusable.map(describeUnusable).join('; ')}${agent ? '' : '; no ssh-agent (SSH_AUTH_SOCK is not set)'}` : '';
    return new ConnectionError(ep.label, `authentication failed for ${ep.user}@${ep.host}:${ep.port}: ${what}${notOffered}`, unusable.length ? unusableHint(unusable, agent) : refusedKeyHint(ep, offered, agentChosen), { cause: e });
  }
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new ConnectionError(ep.label, `cannot connect to ${ep.host}:${ep.port}${tries}: ${msg}`, connectFailureHint(ep, connectFailureKind(e)), { cause: e });
}

/**
 * What to do about a connect that failed, by its kind: the fix for a refused port is not the fix
 * for a timeout. The host's address only where a command needs it, so that hosts failing alike
 * share one hint (the plan says a shared hint once); a timeout's names the value in force.
 */
function connectFailureHint(ep: Endpoint, kind: ConnectFailureKind): string {
  const raise = `raise ssh.connectTimeout in the topology (now ${timeoutSetting(ep.readyTimeoutMs)})`;
  switch (kind) {
    case 'refused':
      return `nothing listens on port ${ep.port} of the host (connection refused): check that sshd runs there and listens on port ${ep.port} (\`ss -tln\` on the host lists the ports it listens on), or set ssh.port in the topology to its port`;
    case 'tcp-timeout':
      return `check that the host is up and that no firewall drops port ${ep.port} (\`${sh(['nc', '-vz', '-w', '3', ep.host, String(ep.port)])}\` from here); on a slow link, ${raise}`;
    case 'no-route':
      return `the network has no route to the host: check that it is up and that its address in the topology is right${isIP(ep.host) ? ` (\`${sh(['ip', 'route', 'get', ep.host])}\` shows the route this machine takes)` : ''}`;
    case 'dns':
      return `the host name ${ep.host} does not resolve: check the node's address in the topology (or HostName in ~/.ssh/config), or this machine's DNS (\`${sh(['getent', 'hosts', ep.host])}\`)`;
    case 'silent':
      return `something on port ${ep.port} of the host accepts connections but says nothing: check that it is sshd (not another service, or a proxy or firewall that holds the connection); if sshd is overloaded or the link slow, ${raise}`;
    case 'slow-handshake':
      return `the host's sshd answered, but did not finish the key exchange and login in time (overloaded, or a slow link): ${raise}`;
    case 'not-ssh':
      return `another service listens on port ${ep.port} of the host: set ssh.port in the topology (or Port in ~/.ssh/config) to the port its sshd listens on`;
    case 'dropped':
      return `the host closed the connection before its SSH greeting: check the sshd log on the host (it drops connections past MaxStartups, and those a rule such as fail2ban or hosts.deny refuses) and that sshd listens on port ${ep.port}`;
    case 'other':
      return `check that the host is up and sshd listens on port ${ep.port}; on a slow link, ${raise}`;
  }
}
