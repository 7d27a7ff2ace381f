import { request } from 'node:http';
import type { AgentStatus } from '../core/agent.js';
import { LEAVE_TOKEN_HEADER } from './leave-token.js';

/**
 * Fetches /status from a running agent. An answer other than 200 (the agent's 500, a 404 of some
 * other server on that port) rejects with AgentRefusedError: it is not an agent that is down.
 */
export function fetchStatus(host: string, port: number, timeoutMs = 3000): Promise<AgentStatus & Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/status', method: 'GET', timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) return reject(new AgentRefusedError(response.statusCode, body.trim()));
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The agent answered, and refused (or, on /status, answered with an error): what it said, with its HTTP status. */
export class AgentRefusedError extends Error {
  override readonly name = 'AgentRefusedError';

  constructor(
    readonly status: number | undefined,
    readonly reason: string,
  ) {
    super(`HTTP ${status}: ${reason}`);
  }
}

/**
 * Asks the agent to leave the grid for good (POST /leave); resolves once it has: a handover takes
 * up to 4 s, and waiting to be dropped from the voters up to 4 s more (daemon.ts, untilDropped).
 * `token`: the running agent's leave token (undefined where it wrote none: a version before tokens).
 */
export function requestLeave(host: string, port: number, token: string | undefined, timeoutMs = 15_000): Promise<{ left: boolean; successor: string | null }> {
  return new Promise((resolve, reject) => {
    const headers = token === undefined ? {} : { [LEAVE_TOKEN_HEADER]: token };
    const req = request({ host, port, path: '/leave', method: 'POST', timeout: timeoutMs, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) return reject(new AgentRefusedError(response.statusCode, body.trim()));
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
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
