import type { AgentStatus } from '../core/agent.js';
import { isLeftStatus, renderLeftStatus, type LeftStatus } from './left-status.js';
import { memberRows, renderMembers } from './members-command.js';
import { renderStatus } from './status-command.js';

/** What `gridagent status` and `gridagent members` print of an agent's /status answer, as text or JSON. */
export function renderStatusView(status: AgentStatus | LeftStatus, view: 'status' | 'members', json: boolean): string {
  if (isLeftStatus(status)) {
    // A node that left holds no member list: `members --json` is an empty one.
    if (json) return `${JSON.stringify(view === 'members' ? [] : status, null, 2)}\n`;
    return renderLeftStatus(status);
  }
  if (view === 'members') return json ? `${JSON.stringify(memberRows(status), null, 2)}\n` : renderMembers(status);
  return json ? `${JSON.stringify(status, null, 2)}\n` : renderStatus(status);
}
