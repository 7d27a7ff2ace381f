import type { Transport } from '../transport/transport.js';
import { quote } from '../transport/quote.js';

/** The live overlay as one node's agent sees it (the subset gridops shows). */
export interface AgentView {
  /**
   * The sub-grid role: `super-peer` (the agent's `leader`), `mirror`, `member`, `candidate`,
   * `searching`, `not answering`, or `left` (`gridagent leave`: the agent stays idle until
   * `gridagent rejoin` and a restart, whatever apply does).
   */
  role: string;
  /** With role `left`: when it left (the agent's `leftAt`). */
  leftAt?: string;
  /** `region-peer` when this super peer also represents its region. */
  regionRole?: string;
  term: number;
  superPeer: string | null;
  regionPeer: string | null;
  members: number;
  /** Its sub-grid's voters other than the super peer, as its view lists them (a rolling apply's voter budget); absent from an agent that does not say. */
  mirrors?: string[];
  /**
   * Its sub-grid's members by name and how it hears them, from the registry a super peer keeps (a
   * mirror holds the super peer's copy, liveness included, a sync or so behind; an older agent's
   * mirror copied every member as alive and dropped the dead): what tells a rolling apply
   * whether a voter it does not reach (`--limit`) is up. Absent from a member, which keeps no
   * registry, and from an agent that does not say.
   */
  liveness?: Record<string, MemberLiveness>;
  /** The gridagent version the running process reports; undefined from an agent that does not say (older than the field) or says something not a string. */
  version?: string;
}

/** How a registry hears a member (the agent's SWIM states). */
export type MemberLiveness = 'alive' | 'suspect' | 'dead';
const LIVENESS: ReadonlySet<string> = new Set<MemberLiveness>(['alive', 'suspect', 'dead']);

export const NOT_ANSWERING: AgentView = { role: 'not answering', term: 0, superPeer: null, regionPeer: null, members: 0 };

const LEFT: AgentView = { role: 'left', term: 0, superPeer: null, regionPeer: null, members: 0 };

/** What brings back an agent that left the grid (docs/agent.md, `gridagent rejoin`): apply cannot, the leave's marker keeps it idle. */
export const REJOIN_STEPS = '`gridagent rejoin` on it, then `systemctl restart gridagent`';

/** Where the agent's local HTTP endpoint listens: the topology's `agent.httpAddress` and `agent.httpPort`. */
export interface AgentEndpoint {
  httpAddress: string;
  httpPort: number;
}

/** How long the node may take to answer one question, the connection included. */
const ASK_TIMEOUT_S = 10;

/**
 * The shell command that fetches the agent's /status on its node: bash's /dev/tcp and `cat`, so
 * that asking starts no process heavier than bash. (`gridagent status` starts Node.js, which took
 * seconds under the load of a grid-growth e2e and made live agents look silent.) A wildcard bind
 * answers on loopback.
 */
export function statusRequest(endpoint: AgentEndpoint): string {
  const host = endpoint.httpAddress === '0.0.0.0' ? '127.0.0.1' : endpoint.httpAddress === '::' ? '::1' : endpoint.httpAddress;
  // The address and port reach bash as its arguments ($1, $2), never as part of the script: a
  // value with shell syntax in it stays one word, whatever the topology's checks let through.
  const script = `exec 3<>"/dev/tcp/$1/$2" && printf 'GET /status HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && cat <&3`;
  return `timeout ${ASK_TIMEOUT_S} bash -c ${quote(script)} gridops-ask ${quote(host)} ${quote(endpoint.httpPort)}`;
}

/** The view in an HTTP response from the agent's /status, or null when it is not one. */
export function parseStatusResponse(response: string): AgentView | null {
  const split = response.indexOf('\r\n\r\n');
  if (split < 0 || !/^HTTP\/1\.[01] 200 /.test(response)) return null;
  try {
    const s = JSON.parse(response.slice(split + 4)) as { role: string; regionRole?: string; term: number; superPeer: string | null; regionPeer: string | null; members: unknown[]; mirrors?: unknown; left?: unknown; leftAt?: unknown; version?: unknown };
    const version = typeof s.version === 'string' ? { version: s.version } : {};
    // An agent that left answers its idle status (src/agent/runtime/left-status.ts): no role, no members.
    if (s.left === true) return { ...LEFT, ...(typeof s.leftAt === 'string' ? { leftAt: s.leftAt } : {}), ...version };
    if (typeof s.role !== 'string' || !Array.isArray(s.members)) return null;
    const mirrors = Array.isArray(s.mirrors) && s.mirrors.every((m) => typeof m === 'string') ? { mirrors: s.mirrors as string[] } : {};
    return { role: s.role === 'leader' ? 'super-peer' : s.role, ...(s.regionRole === 'leader' ? { regionRole: 'region-peer' } : {}), term: s.term, superPeer: s.superPeer, regionPeer: s.regionPeer, members: s.members.length, ...mirrors, ...registryLiveness(s.role, s.members), ...version };
  } catch {
    return null;
  }
}

/**
 * The liveness in a super peer's or a mirror's member list. Only those keep the registry (a
 * member's empty list says nothing of anyone), and a list with an entry not understood is not
 * taken at all rather than in part: the voters outside the run then count as possibly down, not
 * judged by half a registry.
 */
function registryLiveness(role: string, members: unknown[]): Pick<AgentView, 'liveness'> {
  if (role !== 'leader' && role !== 'mirror') return {};
  const entries = members.map((m) => (typeof m === 'object' && m !== null ? (m as { name?: unknown; liveness?: unknown }) : {}));
  if (!entries.length || !entries.every((m) => typeof m.name === 'string' && typeof m.liveness === 'string' && LIVENESS.has(m.liveness))) return {};
  return { liveness: Object.fromEntries(entries.map((m) => [m.name as string, m.liveness as MemberLiveness])) };
}

/** The shortest time one question gets, even right at its poll's deadline: a first ask must be able to succeed. */
const MIN_ASK_MS = 1000;

/**
 * Asks the node's agent for its view, over the node's loopback (no root needed). Within `bound`:
 * its exec is given no longer than is left before the deadline (not less than MIN_ASK_MS), and
 * Ctrl-C ends it at once, as not answering, though the channel never gives the answer up (a
 * stuck SSH session): `--wait` and Ctrl-C stay within their bound.
 */
export async function askAgent(transport: Transport, endpoint: AgentEndpoint, bound: { signal?: AbortSignal; deadline?: number } = {}): Promise<AgentView> {
  const fullMs = (ASK_TIMEOUT_S + 5) * 1000;
  const timeoutMs = bound.deadline === undefined ? fullMs : Math.min(fullMs, Math.max(MIN_ASK_MS, bound.deadline - Date.now()));
  const asked = transport.exec(statusRequest(endpoint), { timeoutMs, ...(bound.signal ? { signal: bound.signal } : {}) }).then((r) => (r.code === 0 && parseStatusResponse(r.stdout)) || NOT_ANSWERING);
  return bound.signal ? Promise.race([asked, whenAborted(bound.signal)]) : asked;
}

function whenAborted(signal: AbortSignal): Promise<AgentView> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(NOT_ANSWERING);
    else signal.addEventListener('abort', () => resolve(NOT_ANSWERING), { once: true });
  });
}
