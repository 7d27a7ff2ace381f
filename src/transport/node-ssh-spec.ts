import type { Node } from '../topology/model.js';
import type { ConnectionTarget, SshConfigValues } from './ssh-config.js';
import { parseJumpHost, type SshHostSpec } from './ssh-host-spec.js';

/**
 * Where and as whom to reach a node, from its connection target (the topology's own values, then
 * the ssh_config files', then the built-in defaults) and its ssh_config values (`fromSshConfig`).
 */
export function nodeSshSpec(node: Node, target: ConnectionTarget, fromSshConfig: SshConfigValues): SshHostSpec {
  return {
    name: node.name,
    host: target.host,
    port: target.port,
    user: target.user,
    // Each node's own ssh.connectTimeout (defaults, region, sub-grid or node), for every attempt,
    // its jump connection and, with --persist, the keeper's connect.
    readyTimeoutMs: node.settings.ssh.connectTimeoutMs,
    // A key --accept-new-host-keys records is written as OpenSSH would append it for this host.
    ...(fromSshConfig.hashKnownHosts !== undefined ? { hashKnownHosts: fromSshConfig.hashKnownHosts } : {}),
    ...(target.identityFiles ? { identityFiles: target.identityFiles } : {}),
    // The bastion is reached with its own keys from ~/.ssh/config where a ProxyJump names it there, else the node's.
    ...(target.jumpHost ? { jumpHost: { ...((target.jumpIdentityFiles ?? target.identityFiles) ? { identityFile: target.jumpIdentityFiles ?? target.identityFiles } : {}), ...parseJumpHost(target.jumpHost) } } : {}),
  };
}
