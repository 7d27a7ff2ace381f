import { execa } from 'execa';
import pLimit from 'p-limit';
import { LabError } from '../errors/index.js';
import { listLinks, listNetns, run } from './sys.js';
import type { LabKind, LabPlan, NodePlan } from './types.js';

/**
 * The lab network: one bridge with the lab's address, and per node either a network namespace
 * with a veth (container, netns) or a tap (vm). No default route, no forwarding, no NAT: the
 * bridge address is the only thing nodes can reach besides each other.
 */

async function ipBatch(step: string, lines: string[], ns?: string): Promise<void> {
  if (!lines.length) return;
  const args = ns ? ['-n', ns, '-batch', '-'] : ['-batch', '-'];
  await run(step, 'ip', args, { input: lines.join('\n') + '\n' });
}

/** Like ipBatch but keeps going past errors (teardown of things that may already be gone). */
async function ipBatchForce(lines: string[]): Promise<void> {
  if (!lines.length) return;
  await execa('ip', ['-force', '-batch', '-'], { input: lines.join('\n') + '\n', reject: false });
}

export async function ensureBridge(plan: LabPlan): Promise<void> {
  const { name, address } = plan.bridge;
  const lines: string[] = [];
  if (!listLinks().includes(name)) {
    // Snooping off: multicast floods the bridge, so discovery works with no IGMP querier.
    lines.push(`link add ${name} type bridge mcast_snooping 0 stp_state 0 forward_delay 0`);
    lines.push(`addr add ${address}/${plan.prefixLength} dev ${name}`);
  }
  lines.push(`link set ${name} up`);
  await ipBatch('creating the lab bridge', lines);
}

/**
 * Creates the namespaces and links of `nodes` in two kinds of `ip -batch` call: one in the root
 * namespace for all nodes, then one per namespace (`-n NS` is not allowed inside a batch line).
 */
export async function createNodeNetworks(kind: LabKind, plan: LabPlan, nodes: readonly NodePlan[]): Promise<void> {
  if (!nodes.length) return;
  // Leftovers of a half-made node are removed first, so creation starts clean.
  await deleteNodeNetworks(kind, nodes);
  const br = plan.bridge.name;
  const root: string[] = [];
  for (const n of nodes) {
    if (kind === 'vm') {
      root.push(`tuntap add dev ${n.link} mode tap`, `link set ${n.link} master ${br} up`);
    } else {
      root.push(`netns add ${n.netns}`, `link add ${n.link} type veth peer name eth0 netns ${n.netns}`, `link set ${n.link} master ${br} up`);
    }
  }
  await ipBatch('creating node links', root);
  if (kind === 'vm') return;
  const limit = pLimit(8);
  await Promise.all(
    nodes.map((n) =>
      limit(() =>
        ipBatch(`configuring the network of ${n.name}`, [
          'link set lo up',
          `addr add ${n.address}/${plan.prefixLength} dev eth0`,
          'link set eth0 up',
          // No default route: multicast needs its own route or sends fail with ENETUNREACH.
          'route add 224.0.0.0/4 dev eth0',
        ], n.netns),
      ),
    ),
  );
}

/** Deletes the links then the namespaces of `nodes` (root-side veths first, as that is faster). */
export async function deleteNodeNetworks(kind: LabKind, nodes: readonly NodePlan[]): Promise<void> {
  const links = new Set(listLinks());
  const netns = new Set(listNetns());
  const lines: string[] = [];
  for (const n of nodes) if (links.has(n.link)) lines.push(`link del ${n.link}`);
  if (kind !== 'vm') for (const n of nodes) if (netns.has(n.netns)) lines.push(`netns del ${n.netns}`);
  await ipBatchForce(lines);
}

export async function deleteBridge(plan: LabPlan): Promise<void> {
  if (listLinks().includes(plan.bridge.name)) await ipBatchForce([`link del ${plan.bridge.name}`]);
}

/** Everything with the lab's prefix that still exists: links and namespaces. */
export function leftoverNetwork(prefix: string): { links: string[]; netns: string[] } {
  return { links: listLinks().filter((l) => l.startsWith(prefix)), netns: listNetns().filter((n) => n.startsWith(prefix)) };
}

/** Deletes whatever links and namespaces carry the prefix (the sweep at the end of `down`). */
export async function sweepNetwork(prefix: string): Promise<void> {
  const left = leftoverNetwork(prefix);
  const bridge = left.links.filter((l) => l.endsWith('br'));
  await ipBatchForce([...left.links.filter((l) => !bridge.includes(l)).map((l) => `link del ${l}`), ...left.netns.map((n) => `netns del ${n}`), ...bridge.map((b) => `link del ${b}`)]);
  const still = leftoverNetwork(prefix);
  if (still.links.length || still.netns.length) {
    throw new LabError(`could not remove ${[...still.links, ...still.netns].join(', ')}`, 'a process outside the lab may hold them; check `ip netns pids NAME`');
  }
}
