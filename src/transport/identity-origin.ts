import type { Node } from '../topology/model.js';
import { settingPosition } from '../topology/setting-position.js';
import { expandHome } from './expand-home.js';
import type { WhereNamed } from './identity-files-check.js';

/**
 * Where a node's identity file was named, for the errors about it: the topology's ssh.identityFile
 * at the level that set it, else the IdentityFile line of the ssh_config file that wrote it (its
 * jump host's own keys come from there even where the topology names the node's). A run and
 * `gridops inventory` both name it so.
 */
export function identityOrigin(nodes: readonly Node[], fromConfig: (host: string, path: string) => string): WhereNamed {
  return (host, path) => {
    const node = nodes.find((n) => n.name === host);
    if (!node) return undefined;
    const origin = node.origins['ssh.identityFile'];
    const topologyFile = node.settings.ssh.identityFile;
    if (!origin || origin === 'built-in' || !topologyFile || expandHome(topologyFile) !== path) return fromConfig(host, path);
    const at = settingPosition(node, 'ssh.identityFile');
    return `ssh.identityFile of ${origin} ${at ? `at ${at.file}:${at.line}:${at.column}` : `in ${node.position.file}`}`;
  };
}
