import type { Transport } from '../transport/transport.js';

/** The live overlay as one node's agent sees it (the subset gridops shows). */
export interface AgentView {
  /** The sub-grid role: `super-peer` (the agent's `leader`), `mirror`, `member`, `candidate`, `searching`, or `not answering`. */
  role: string;
  /** `region-peer` when this super peer also represents its region. */
  regionRole?: string;
  term: number;
  superPeer: string | null;
  regionPeer: string | null;
  members: number;
}

export const NOT_ANSWERING: AgentView = { role: 'not answering', term: 0, superPeer: null, regionPeer: null, members: 0 };

/** Asks the node's agent for its view through its local CLI (no root needed: it reads 127.0.0.1). */
export async function askAgent(transport: Transport): Promise<AgentView> {
  const r = await transport.exec('gridagent status --json', { timeoutMs: 5000 });
  if (r.code !== 0) return NOT_ANSWERING;
  try {
    const s = JSON.parse(r.stdout) as { role: string; regionRole?: string; term: number; superPeer: string | null; regionPeer: string | null; members: unknown[] };
    return { role: s.role === 'leader' ? 'super-peer' : s.role, ...(s.regionRole === 'leader' ? { regionRole: 'region-peer' } : {}), term: s.term, superPeer: s.superPeer, regionPeer: s.regionPeer, members: s.members.length };
  } catch {
    return NOT_ANSWERING;
  }
}
