import type { Node } from '../topology/model.js';
import { rereadSourcesOnce } from '../topology/reread-source.js';
import { settingNamed } from '../topology/setting-named.js';
import { expandHome } from './expand-home.js';
import type { WhereNamed } from './identity-files-check.js';

/**
 * Where a node's identity file was named, for the errors about it: the topology's ssh.identityFile
 * at the level that set it, else the IdentityFile line of the ssh_config file that wrote it (its
 * jump host's own keys come from there even where the topology names the node's). A run and
 * `gridops inventory` both name it so.
 */
export function identityOrigin(nodes: readonly Node[], fromConfig: (host: string, path: string) => string): WhereNamed {
  const sourceOf = rereadSourcesOnce();
  return (host, path) => {
    const node = nodes.find((n) => n.name === host);
    if (!node) return undefined;
    const topologyFile = node.settings.ssh.identityFile;
    // The path is compared first: only a file the topology named needs the topology reread for its position.
    const named = topologyFile && expandHome(topologyFile) === path ? settingNamed(node, 'ssh.identityFile', sourceOf) : undefined;
    return named ?? fromConfig(host, path);
  };
}
