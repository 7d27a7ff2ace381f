import type { AnyAuthMethod } from 'ssh2';
import { ConnectionError } from '../errors/index.js';
import type { TransportLogger } from './logger.js';
import { describeUnusable, unusableHint } from './ssh-auth-hints.js';
import type { Endpoint } from './ssh-endpoint.js';
import { agentSocketOf, readIdentities } from './ssh-identities.js';
import type { SshSessionOptions } from './ssh-session-options.js';

/** What the host is offered to log in with: the identity files' keys and the ssh-agent, explicit keys before the agent. */
export function authMethods(ep: Endpoint, opts: SshSessionOptions, log: TransportLogger): AnyAuthMethod[] {
  const { explicit, keys: parsed, unusable } = readIdentities(ep, opts);
  for (const u of unusable) log.warn({ host: ep.label, identityFile: u.path }, `${ep.label}: not offering ${describeUnusable(u)}`);
  const keys: AnyAuthMethod[] = parsed.map((key) => ({ type: 'publickey', username: ep.user, key }));
  const agent = agentSocketOf(opts);
  const methods: AnyAuthMethod[] = [];
  // Explicit keys first: an agent holding many keys could exhaust the server's MaxAuthTries.
  if (explicit) methods.push(...keys);
  // Every key of the agent, also where a .pub names the one to use (readIdentities): ssh2 offers an
  // agent's keys as the agent lists them, and limiting them would take an agent object of the
  // bundled ssh2's own classes (ssh2-client.ts loads only its client and key parser).
  if (agent) methods.push({ type: 'agent', username: ep.user, agent });
  if (!explicit) methods.push(...keys);
  if (methods.length === 0) {
    // An encrypted key that an agent may hold is left to the agent (as OpenSSH offers the agent's
    // copy of an IdentityFile); with no agent and nothing else to offer, the run cannot log in: say why now.
    if (unusable.length) throw new ConnectionError(ep.label, `no usable SSH credentials: ${unusable.map(describeUnusable).join('; ')}, and no ssh-agent (SSH_AUTH_SOCK is not set)`, unusableHint(unusable, agent));
    throw new ConnectionError(ep.label, 'no SSH credentials: no identity file and no ssh-agent', 'set identityFile for the host, or start ssh-agent and ssh-add your key');
  }
  return methods;
}
