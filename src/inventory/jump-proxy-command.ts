import { sh } from '../transport/quote.js';
import { parseJumpHost } from '../transport/ssh-host-spec.js';
import { sshOptionPath } from './ssh-option-value.js';

/** How gridops itself reaches a node's jump host (transport/fleet): the node's known_hosts and identity files. */
export interface JumpRoute {
  /** `[USER@]HOST[:PORT]`; gridops logs in as root on port 22 where it names neither. */
  jumpHost: string;
  knownHosts: string;
  identityFiles?: string[];
}

/**
 * The ssh `ProxyCommand` that reaches the node through its jump host as gridops does. Not
 * `ProxyJump`: OpenSSH runs that hop as an ssh of its own without the `-o` options given for the
 * node, so it would check the bastion against ~/.ssh/known_hosts and offer ~/.ssh's keys instead of
 * the topology's. The hop checks the bastion's key strictly (it has no terminal to ask on).
 *
 * Two readers expand it: ssh expands `%` tokens in a ProxyCommand (so each literal `%` is doubled,
 * leaving only `%h` and `%p`), then runs it with the shell (so each argument is a shell word).
 */
export function jumpProxyCommand(route: JumpRoute): string {
  const jump = parseJumpHost(route.jumpHost);
  const literal = (word: string) => word.replace(/%/g, '%%');
  const hop = [
    'ssh',
    '-o', `UserKnownHostsFile=${sshOptionPath(route.knownHosts)}`,
    '-o', 'StrictHostKeyChecking=yes',
    ...(route.identityFiles ?? []).flatMap((file) => ['-o', `IdentityFile=${sshOptionPath(file)}`]),
    '-p', String(jump.port ?? 22),
    '-l', jump.user ?? 'root',
  ].map(literal);
  // `[%h]:%p`, as OpenSSH forwards a ProxyJump hop itself: brackets keep an IPv6 address apart from the port.
  return `${sh(hop)} -W '[%h]:%p' ${sh([literal(jump.host)])}`;
}
