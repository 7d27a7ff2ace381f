import type { Node } from '../topology/model.js';
import { configIdentitySources, type NodeIdentitySources } from './config-identity-sources.js';
import { identityFileStats, type IdentityFileStats } from './identity-file-stats.js';
import { withoutMissingConfigIdentities } from './missing-config-identities.js';
import { nodeSshSpec } from './node-ssh-spec.js';
import { connectionTarget, refuseProxyCommand, type ConnectionTarget, type SshConfigValues } from './ssh-config.js';
import type { SshHostSpec } from './ssh-host-spec.js';

/** A node's ssh_config values (sshConfigFor), looked up once. */
export type NodeLookup = (node: Node) => SshConfigValues;

/** A node's connection target (connectionTarget), worked out once. */
export type NodeTarget = (node: Node) => ConnectionTarget;

/** connectionTarget of each node, worked out on first use and kept: its spec and its identity files' sources both read it. A node whose target cannot be worked out throws each time, for its own connect to report. */
export function targetsOnce(lookupOf: NodeLookup): NodeTarget {
  const targets = new Map<Node, ConnectionTarget>();
  return (node) => {
    let target = targets.get(node);
    if (!target) targets.set(node, (target = connectionTarget(node, lookupOf(node))));
    return target;
  };
}

/**
 * Where and as whom to reach a node (nodeSshSpec), for a run and `gridops inventory` alike; a node
 * ~/.ssh/config routes through a ProxyCommand is refused, before its target is worked out.
 * `notDone` ends that refusal (refuseProxyCommand), saying what did not happen.
 */
export function sshSpec(node: Node, fromSshConfig: SshConfigValues, targetOf: NodeTarget, notDone?: string): SshHostSpec {
  refuseProxyCommand(node, fromSshConfig, notDone);
  return nodeSshSpec(node, targetOf(node), fromSshConfig);
}

/** Specs with the keys a connection would offer, and what the identity-file check after the skip reads. */
export interface WorkableIdentities {
  specs: Map<Node, SshHostSpec>;
  /** Where each node's identity files from an ssh_config file were written (configIdentitySources). */
  sources: Map<Node, NodeIdentitySources>;
  /** The stats the skip made, for the check to reuse: one stat of each file (identity-file-stats.ts). */
  statOf: IdentityFileStats;
}

/**
 * `specs` without the IdentityFiles of an ssh_config file that are not there, as ssh skips them
 * (missing-config-identities.ts), one warning per line by `warn`. A run and `gridops inventory`
 * both start here, so the inventory writes the keys a connection would offer.
 */
export function workableIdentities(specs: ReadonlyMap<Node, SshHostSpec>, targetOf: NodeTarget, warn: (message: string) => void): WorkableIdentities {
  const statOf = identityFileStats();
  const sources = new Map([...specs.keys()].map((node) => [node, configIdentitySources(node, targetOf(node))]));
  return { specs: withoutMissingConfigIdentities(specs, (node) => sources.get(node)!, warn, statOf), sources, statOf };
}
