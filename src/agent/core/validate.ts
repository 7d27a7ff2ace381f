import type { Message } from './types.js';

/** Field kinds a message may carry; `?` marks an optional field. */
type FieldKind = 'string' | 'string?' | 'number' | 'number?' | 'boolean' | 'boolean?' | 'object?' | 'array' | 'array?' | 'view' | 'view?';

const COMMON: Record<string, FieldKind> = { tier: 'string', group: 'string', from: 'string', to: 'string?', term: 'number', slot: 'string?', slotTerm: 'number?' };

const FIELDS: Record<Message['type'], Record<string, FieldKind>> = {
  discover: { fresh: 'boolean', eligible: 'boolean', score: 'number', direct: 'boolean?' },
  announce: {},
  redirect: { leader: 'string', leaderAddr: 'string?' },
  join: { incarnation: 'number', attrsVersion: 'number', eligible: 'boolean', score: 'number', standing: 'number?', attrs: 'object?', summary: 'object?', born: 'boolean?' },
  welcome: {},
  hb: { incarnation: 'number', attrsVersion: 'number', load: 'number', score: 'number', members: 'number?', viewTerm: 'number', viewVersion: 'number' },
  hbAck: { known: 'boolean', notLeader: 'boolean?', leader: 'string?', leaderAddr: 'string?', view: 'view?', slow: 'number?' },
  sync: { view: 'view', registry: 'array?', slow: 'number?', departed: 'array?', copy: 'number?' },
  syncAck: { viewTerm: 'number', viewVersion: 'number', copy: 'number?' },
  preVote: { viewTerm: 'number', viewVersion: 'number', bootstrap: 'boolean?', score: 'number?', campaignedTicks: 'number?' },
  preVoteResp: { forTerm: 'number', granted: 'boolean', bootstrap: 'boolean?', ballotOf: 'string?' },
  vote: { viewTerm: 'number', viewVersion: 'number', bootstrap: 'boolean', transfer: 'boolean', score: 'number', campaignedTicks: 'number?' },
  voteResp: { granted: 'boolean', bootstrap: 'boolean', ballotOf: 'string?' },
  timeoutNow: { leaderLast: 'boolean?' },
  leave: { incarnation: 'number', forGood: 'boolean?', slotEnds: 'string?' },
  merge: { registry: 'array' },
  regionQuery: {},
  regionInfo: { superPeers: 'array', totalNodes: 'number', regions: 'array?' },
  peerSummary: { addr: 'string?', superPeers: 'array', nodes: 'number', reply: 'boolean', knows: 'string?', probe: 'boolean?', regionName: 'string?', regionNames: 'array?' },
  peerRedirect: { leader: 'string', leaderAddr: 'string?' },
  challenge: { forEpoch: 'number', forSeq: 'number', aboveEpoch: 'number?' },
};

const MAX_NAME = 253;
/** A region reports at most this many super peers to the others (a summary must fit a datagram). */
export const MAX_SUPER_PEERS = 128;
/** A summary names at most this many other regions (with their DNS names). */
export const MAX_REGIONS = 64;
/**
 * A sync carries at most this many names that left for good. Above what this version sends
 * (MAX_DEPARTED, group/departed.ts), so that a later agent that sends more in a rolling upgrade is
 * not refused; the core keeps only its own cap.
 */
export const MAX_DEPARTED_DECODED = 256;
/**
 * A node's labels (its config's `labels`, copied into every registry copy): at most this many, each
 * key and value as the topology's label formats allow (a key of a 253-character DNS prefix, '/' and
 * 63 characters; a value of 256). The agent's config takes no more (config.ts).
 */
export const MAX_LABELS = 64;
export const MAX_LABEL_KEY = 317;
export const MAX_LABEL_VALUE = 256;

/**
 * Whether `text` is at most `max` characters as the topology counts them: code points (its label
 * formats are checked in unicode mode), not UTF-16 units, of which an emoji takes two. Counted in
 * UTF-16 units, a label of 256 emoji that validates would make every peer refuse the node's join.
 */
export function withinCharacters(text: string, max: number): boolean {
  return text.length <= max || [...text].length <= max;
}
/** An address as a registry entry carries it: host:port, the host a DNS name at most. */
const MAX_ADDRESS = MAX_NAME + 8;
/**
 * Fields of `attrs` or `summary` this version does not know: a later agent may add some (a rolling
 * upgrade), so they are taken, but only as scalars and this many at most: whatever a registry stores
 * goes into its next sync, and must stay small, flat and encodable.
 */
const MAX_UNKNOWN_FIELDS = 16;
const ATTRIBUTE_FIELDS = new Set(['arch', 'cores', 'memoryMiB', 'labels', 'load', 'uptimeSec']);
const SUMMARY_FIELDS = new Set(['subgrid', 'members', 'term']);

/**
 * Checks the shape of a decoded payload; returns null when anything is off. Authentication
 * already passed, so this guards against bugs, version skew and a node that holds the grid key but
 * misbehaves (a compromised one): it must never throw, and whatever it lets into the registry (a
 * join's attrs and summary, a sync's or merge's entries) must be what this agent could encode and
 * validate again, since the registry copies it into its next sync. An attrs holding arrays 5,000
 * levels deep (10 KB, one datagram) made that sync's JSON.stringify throw, on every tick of each new
 * super peer;
 * a summary of null, a TypeError in the region peer's tick; a number of 1e999 (Infinity) went out as
 * null, and the mirrors refused every later sync of that leader as malformed.
 */
export function validateMessage(value: unknown): Message | null {
  if (!isRecord(value)) return null;
  const type = value['type'];
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(FIELDS, type)) return null;
  if (value['tier'] !== 'subgrid' && value['tier'] !== 'region') return null;
  const fields = { ...COMMON, ...FIELDS[type as Message['type']] };
  for (const [field, kind] of Object.entries(fields)) {
    if (!fieldOk(value[field], kind)) return null;
  }
  for (const field of ['group', 'from', 'to', 'slot'] as const) {
    const text = value[field];
    if (typeof text === 'string' && (text.length === 0 || text.length > MAX_NAME)) return null;
  }
  if (!Number.isSafeInteger(value['term']) || (value['term'] as number) < 0) return null;
  if (type === 'join' && !isJoin(value)) return null;
  // An epoch is a u32 on the wire: a larger one could never be reached, and the sender would jump past the end.
  if (type === 'challenge' && value['aboveEpoch'] !== undefined && !isU32(value['aboveEpoch'])) return null;
  // A heartbeat's member count replaces the one in the sender's summary (registry.ts).
  if (type === 'hb' && value['members'] !== undefined && !isCount(value['members'])) return null;
  // A duration the candidate counts in whole ticks: a fraction or a negative one is no agent's.
  if ((type === 'preVote' || type === 'vote') && value['campaignedTicks'] !== undefined && !isCount(value['campaignedTicks'])) return null;
  if (type === 'leave' && value['slotEnds'] !== undefined && !isName(value['slotEnds'])) return null;
  if (type === 'sync' && Array.isArray(value['registry']) && !value['registry'].every(isRegistryEntry)) return null;
  if (type === 'sync' && Array.isArray(value['departed']) && (value['departed'].length > MAX_DEPARTED_DECODED || !value['departed'].every(isDepartedEntry))) return null;
  if (type === 'merge' && !(value['registry'] as unknown[]).every(isRegistryEntry)) return null;
  if (type === 'peerSummary') {
    const superPeers = value['superPeers'] as unknown[];
    if (superPeers.length > MAX_SUPER_PEERS || !superPeers.every(isSuperPeerSummary)) return null;
    if (!Number.isSafeInteger(value['nodes']) || (value['nodes'] as number) < 0) return null;
    const names = value['regionNames'];
    if (Array.isArray(names) && (names.length > MAX_REGIONS || !names.every(isRegionName))) return null;
    if (typeof value['regionName'] === 'string' && (value['regionName'].length === 0 || value['regionName'].length > MAX_NAME)) return null;
  }
  return value as unknown as Message;
}

function fieldOk(field: unknown, kind: FieldKind): boolean {
  const optional = kind.endsWith('?');
  if (field === undefined) return optional;
  switch (kind.replace('?', '')) {
    case 'string':
      return typeof field === 'string';
    case 'number':
      return typeof field === 'number' && Number.isFinite(field);
    case 'boolean':
      return typeof field === 'boolean';
    case 'object':
      return isRecord(field);
    case 'array':
      return Array.isArray(field);
    case 'view':
      return isView(field);
    case 'view?':
      return isView(field);
    default:
      return false;
  }
}

function isView(value: unknown): boolean {
  if (!isRecord(value)) return false;
  // Counts, as the state file holds them (state-file-problem.ts): a negative term the core adopted
  // would be persisted, and the file's check would then stop every later start.
  if (!isCount(value['term']) || !isCount(value['version'])) return false;
  if (!isPeerList(value['voters'])) return false;
  if (value['regionBallot'] !== undefined && typeof value['regionBallot'] !== 'string') return false;
  if (value['regionJoined'] !== undefined && typeof value['regionJoined'] !== 'boolean') return false;
  if (value['regionSlot'] !== undefined && !isRegionSlot(value['regionSlot'])) return false;
  return value['oldVoters'] === undefined || isPeerList(value['oldVoters']);
}

function isRegionSlot(value: unknown): boolean {
  if (!isRecord(value) || !isCount(value['term'])) return false;
  if (value['votedFor'] !== null && typeof value['votedFor'] !== 'string') return false;
  // A region view never carries a region slot of its own, so this recursion is one level deep.
  return value['view'] === null || (isView(value['view']) && (value['view'] as Record<string, unknown>)['regionSlot'] === undefined);
}

function isPeerList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length <= 64 &&
    value.every((peer) => isRecord(peer) && isName(peer['name']) && (peer['addr'] === undefined || typeof peer['addr'] === 'string') && (peer['slot'] === undefined || isName(peer['slot'])))
  );
}

/** A join holds what its registry entry will: the same bounds as isRegistryEntry. */
function isJoin(value: Record<string, unknown>): boolean {
  return (
    isCount(value['incarnation']) &&
    isCount(value['attrsVersion']) &&
    (value['attrs'] === undefined || isNodeAttributes(value['attrs'])) &&
    (value['summary'] === undefined || isSubgridSummary(value['summary']))
  );
}

function isRegistryEntry(value: unknown): boolean {
  return (
    isRecord(value) &&
    isName(value['name']) &&
    (value['addr'] === undefined || (typeof value['addr'] === 'string' && value['addr'].length <= MAX_ADDRESS)) &&
    isCount(value['incarnation']) &&
    isCount(value['attrsVersion']) &&
    typeof value['eligible'] === 'boolean' &&
    isFiniteNumber(value['score']) &&
    (value['standing'] === undefined || isFiniteNumber(value['standing'])) &&
    (value['attrs'] === undefined || isNodeAttributes(value['attrs'])) &&
    (value['summary'] === undefined || isSubgridSummary(value['summary'])) &&
    (value['liveness'] === 'alive' || value['liveness'] === 'suspect' || value['liveness'] === 'dead') &&
    (value['stable'] === undefined || typeof value['stable'] === 'boolean')
  );
}

/** What a member reports about itself (NodeAttributes; runtime/host-attributes.ts builds it). */
function isNodeAttributes(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value['arch'] === 'string' &&
    value['arch'].length <= MAX_NAME &&
    isCount(value['cores']) &&
    isCount(value['memoryMiB']) &&
    isLabels(value['labels']) &&
    isFiniteNumber(value['load']) &&
    isCount(value['uptimeSec']) &&
    unknownFieldsAreScalars(value, ATTRIBUTE_FIELDS)
  );
}

function isLabels(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const labels = Object.entries(value);
  return labels.length <= MAX_LABELS && labels.every(([label, text]) => withinCharacters(label, MAX_LABEL_KEY) && typeof text === 'string' && withinCharacters(text, MAX_LABEL_VALUE));
}

/** What a super peer reports to its region peer (SubgridSummary; agent.ts builds it). */
function isSubgridSummary(value: unknown): boolean {
  return isRecord(value) && isName(value['subgrid']) && isCount(value['members']) && (value['term'] === undefined || isCount(value['term'])) && unknownFieldsAreScalars(value, SUMMARY_FIELDS);
}

function unknownFieldsAreScalars(value: Record<string, unknown>, known: Set<string>): boolean {
  const unknown = Object.entries(value).filter(([field]) => !known.has(field));
  return unknown.length <= MAX_UNKNOWN_FIELDS && unknown.every(([, field]) => typeof field === 'boolean' || isFiniteNumber(field) || (typeof field === 'string' && field.length <= MAX_NAME));
}

/** A count, an incarnation or a version: what the agent only ever sends as a whole number. */
function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** JSON.parse turns 1e999 into Infinity, which JSON.stringify writes as null: never a number to keep. */
function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isDepartedEntry(value: unknown): boolean {
  return (
    isRecord(value) &&
    isName(value['name']) &&
    Number.isSafeInteger(value['agoMs']) &&
    (value['agoMs'] as number) >= 0 &&
    Number.isSafeInteger(value['incarnation']) &&
    (value['incarnation'] as number) >= 0 &&
    (value['holder'] === undefined || isName(value['holder']))
  );
}

function isName(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME;
}

function isRegionName(value: unknown): boolean {
  return isRecord(value) && typeof value['region'] === 'string' && value['region'].length > 0 && value['region'].length <= MAX_NAME && typeof value['name'] === 'string' && value['name'].length > 0 && value['name'].length <= MAX_NAME;
}

function isSuperPeerSummary(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value['name'] === 'string' &&
    value['name'].length <= MAX_NAME &&
    typeof value['subgrid'] === 'string' &&
    value['subgrid'].length <= MAX_NAME &&
    Number.isSafeInteger(value['members']) &&
    (value['members'] as number) >= 0
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An unsigned 32-bit integer, as the packet header's epoch and sequence are. */
function isU32(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff;
}
