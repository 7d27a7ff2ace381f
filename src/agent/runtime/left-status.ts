import { REJOIN_HINT } from './leave-marker.js';

/**
 * What an agent that left the grid for good answers on /status (daemon.ts): it stays idle, with no
 * role, term, mirrors or members, so `gridagent status` and `members` render it on its own.
 */
export interface LeftStatus {
  node: string;
  region: string;
  subgrid: string;
  left: true;
  leftAt: string;
  rejoin: string;
  version: string;
}

export function leftStatus(where: { node: string; region: string; subgrid: string }, leftAt: string, version: string): LeftStatus {
  return { node: where.node, region: where.region, subgrid: where.subgrid, left: true, leftAt, rejoin: REJOIN_HINT, version };
}

/** Whether an agent's /status answer is an idle agent's, one that left the grid. */
export function isLeftStatus(status: object): status is LeftStatus {
  return (status as Partial<LeftStatus>).left === true;
}

/** The human rendering, for `gridagent status` and `gridagent members` alike. */
export function renderLeftStatus(status: LeftStatus): string {
  return [
    `node        ${status.node} (${status.region}/${status.subgrid})`,
    `left        the grid for good at ${status.leftAt}; the agent stays idle until it is stopped`,
    status.rejoin,
  ].join('\n') + '\n';
}
