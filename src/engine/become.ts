import type { Node } from '../topology/model.js';
import type { Transport } from '../transport/transport.js';

/**
 * Whether a host's commands go through sudo. The topology's `ssh.become` where it wrote one;
 * else sudo whenever the connection's login user is not root, as the default says (user != root),
 * judged on the user the connection really has: with no `ssh.user` in the topology, that is
 * ~/.ssh/config's User (a `User deploy` there got no sudo before, its changes failing or landing
 * as deploy). A transport that does not say falls back to the topology's default.
 */
export function becomeFor(node: Node, transport: Pick<Transport, 'loginUser'>): boolean {
  const origin = node.origins['ssh.become'];
  if (origin !== undefined && origin !== 'built-in') return node.settings.ssh.become;
  return transport.loginUser !== undefined ? transport.loginUser !== 'root' : node.settings.ssh.become;
}
