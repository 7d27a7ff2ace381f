import type { Node } from '../topology/model.js';
import { expandHome } from './expand-home.js';
import type { ConfigIdentitySources } from './missing-config-identities.js';
import { writtenByTopology, type ConnectionTarget } from './ssh-config.js';

/** Where a node's identity files (`target`) and its jump host's (`jump`) were written in an ssh_config file; undefined for those the topology names. */
export interface NodeIdentitySources {
  target: ConfigIdentitySources;
  jump: ConfigIdentitySources;
}

/**
 * Where the node's identity files and its jump host's from an ssh_config file were written
 * (FILE:LINE by path, tokens expanded as in its target `t`). A jump host with no keys of its own is
 * reached with the node's, so it has the node's sources.
 */
export function configIdentitySources(node: Node, t: ConnectionTarget): NodeIdentitySources {
  const target = writtenByTopology(node, 'identityFile') ? undefined : (t.identityFilesWrittenAt ?? {});
  return { target, jump: t.jumpIdentityFiles ? (t.jumpIdentityFilesWrittenAt ?? {}) : target };
}

/**
 * The IdentityFile line that named a host's file (`path`, `~` expanded), as "IdentityFile at
 * FILE:LINE": the user's ~/.ssh/config or the system-wide file, whichever wrote it, never one named
 * for the other. `sources` are each node's (configIdentitySources); a host is a node's name, as the
 * identity-file checks name a spec.
 */
export function configIdentityLine(sources: ReadonlyMap<Node, NodeIdentitySources>): (host: string, path: string) => string {
  const byName = new Map([...sources].map(([node, of]) => [node.name, of]));
  return (host, path) => {
    const hostSources = byName.get(host);
    // The node's own lines first, then its jump host's: a path both name is the node's line.
    const at = [hostSources?.target, hostSources?.jump].flatMap((of) => Object.entries(of ?? {})).find(([written]) => expandHome(written) === path)?.[1];
    return at ? `IdentityFile at ${at}` : 'IdentityFile of the OpenSSH client configuration';
  };
}
