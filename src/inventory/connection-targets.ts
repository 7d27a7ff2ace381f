import type { Node } from '../topology/model.js';
import { configIdentityLine } from '../transport/config-identity-sources.js';
import { checkReadableIdentityFiles } from '../transport/identity-files-check.js';
import { identityOrigin } from '../transport/identity-origin.js';
import type { SshConfigValues } from '../transport/ssh-config.js';
import { sshSpec, targetsOnce, workableIdentities } from '../transport/workable-identities.js';
import type { InventoryTarget } from './ansible-inventory.js';

/**
 * Where gridops connects to each node (connectionTarget, with its ssh_config values from
 * `lookupOf`), with the keys its connection would offer: an IdentityFile of an ssh_config file that
 * is not there is left out, for the node and its jump host alike, with one warning per line, as a
 * connection leaves it out (withoutMissingConfigIdentities); where none would be left, or such a
 * file cannot be read, refused naming its line, as a connection's pre-flight refuses it; so is a
 * node routed through a ProxyCommand (refuseProxyCommand), as a connection refuses it. The
 * topology's own ssh.identityFile is checked as a run's pre-flight checks it: one that is not
 * there is refused, naming where the topology set it, rather than written for Ansible to fail on.
 */
export function connectionTargets(nodes: readonly Node[], lookupOf: (node: Node) => SshConfigValues, warn: (message: string) => void): Map<Node, InventoryTarget> {
  // One lookup per node, for its target and its spec alike: each lookup warns (an unused HostName), and one warning a node is enough.
  const lookups = new Map(nodes.map((node) => [node, lookupOf(node)]));
  const targetOf = targetsOnce((node) => lookups.get(node)!);
  // As a run's spec (fleet.ts): a node ~/.ssh/config routes through a ProxyCommand is refused before its target is
  // worked out. Left to Ansible's ssh, that command would run a hop of its own, whose host key is checked against
  // ~/.ssh/known_hosts, not the topology's (as ProxyJump's hop would be: README).
  const { specs, sources, statOf } = workableIdentities(new Map(nodes.map((node) => [node, sshSpec(node, lookups.get(node)!, targetOf, NOT_WRITTEN)])), targetOf, warn);
  // The topology's keys too, as a run's pre-flight checks them: Ansible's ssh would fail every host named with one not there.
  checkReadableIdentityFiles([...specs.values()], identityOrigin(nodes, configIdentityLine(sources)), statOf, NOT_WRITTEN);
  return new Map(
    [...specs].map(([node, spec]) => {
      const target = targetOf(node);
      const jumpFiles = typeof spec.jumpHost === 'object' && spec.jumpHost.identityFile !== undefined ? [spec.jumpHost.identityFile].flat() : undefined;
      const kept: InventoryTarget = {
        host: target.host,
        port: target.port,
        user: target.user,
        ...(spec.identityFiles ? { identityFiles: spec.identityFiles } : {}),
        ...(target.jumpHost ? { jumpHost: target.jumpHost } : {}),
        // Only where the jump host has keys of its own; else it is reached with identityFiles, already without the skipped ones.
        ...(target.jumpIdentityFiles && jumpFiles ? { jumpIdentityFiles: jumpFiles } : {}),
      };
      return [node, kept];
    }),
  );
}

/** How the inventory's refusals end: it contacts no host, so it says what it did not do. */
const NOT_WRITTEN = 'no inventory was written';
