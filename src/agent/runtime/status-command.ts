import type { AgentStatus } from '../core/agent.js';
import { agentRequest } from './agent-request.js';
import { LEAVE_TOKEN_HEADER } from './leave-token.js';

/**
 * Fetches /status from a running agent. An answer other than 200 (the agent's 500, a 404 of some
 * other server on that port) rejects with AgentRefusedError: it is not an agent that is down.
 */
export function fetchStatus(host: string, port: number, timeoutMs = 3000): Promise<AgentStatus & Record<string, unknown>> {
  return agentRequest(host, port, { method: 'GET', path: '/status' }, timeoutMs);
}

/**
 * Asks the agent to leave the grid for good (POST /leave); resolves once it has: a handover takes
 * up to 4 s, and waiting to be dropped from the voters up to 4 s more (daemon.ts, untilDropped).
 * `token`: the running agent's leave token (undefined where it wrote none: a version before tokens).
 */
export function requestLeave(host: string, port: number, token: string | undefined, timeoutMs = 15_000): Promise<{ left: boolean; successor: string | null }> {
  const headers: Record<string, string> = token === undefined ? {} : { [LEAVE_TOKEN_HEADER]: token };
  return agentRequest(host, port, { method: 'POST', path: '/leave', headers }, timeoutMs);
}

/** The human rendering of `gridagent status`. */
export function renderStatus(status: AgentStatus): string {
  const lines = [
    `node        ${status.node} (${status.region}/${status.subgrid})`,
    `role        ${status.role}, term ${status.term}, score ${status.score}`,
    `super peer  ${status.superPeer ?? '(none known)'}`,
    ...(status.quorumContactAgoMs != null ? [`quorum      last heard from a quorum of voters ${(status.quorumContactAgoMs / 1000).toFixed(1)} s ago`] : []),
    `mirrors     ${status.mirrors.join(', ') || '(none)'}`,
    `region peer ${status.regionPeer ?? '(none known)'} (region role ${status.regionRole}, term ${status.regionTerm})`,
    ...(status.regionQuorumContactAgoMs != null ? [`region quorum last heard from a quorum of region voters ${(status.regionQuorumContactAgoMs / 1000).toFixed(1)} s ago`] : []),
  ];
  if (status.members.length > 0) {
    lines.push('members:');
    for (const member of status.members) {
      lines.push(`  ${member.name.padEnd(24)} ${member.liveness.padEnd(8)} score ${String(member.score).padEnd(6)} load ${member.load}`);
    }
  }
  if (status.regionSuperPeers.length > 0) {
    lines.push('region super peers:');
    for (const peer of status.regionSuperPeers) lines.push(`  ${peer.name.padEnd(24)} ${peer.liveness.padEnd(8)} ${peer.subgrid ?? ''} (${peer.members ?? 0} nodes)`);
  }
  const regions = status.regions ?? [];
  if (regions.length > 0) {
    const nodes = regions.reduce((sum, region) => sum + region.nodes, 0);
    const superPeers = regions.reduce((sum, region) => sum + region.superPeers.length, 0);
    lines.push(`grid: ${regions.length} regions, ${superPeers} super peers, ${nodes} nodes`);
    for (const region of regions) {
      const heard = region.lastHeardMsAgo === 0 ? 'this region' : `heard ${(region.lastHeardMsAgo / 1000).toFixed(1)} s ago`;
      lines.push(`  ${region.region.padEnd(16)} region peer ${region.regionPeer} (term ${region.term}) ${region.liveness.padEnd(8)} ${region.superPeers.length} super peers, ${region.nodes} nodes, ${heard}`);
      for (const peer of region.superPeers) lines.push(`    ${peer.name.padEnd(24)} ${peer.subgrid} (${peer.members} nodes)`);
    }
  }
  return `${lines.join('\n')}\n`;
}
