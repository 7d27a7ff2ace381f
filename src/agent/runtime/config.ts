import { existsSync, readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { SUBGRID_TIMERS, REGION_TIMERS, scaleTimers, type Timers } from '../core/timers.js';
import { MAX_LABEL_KEY, MAX_LABEL_VALUE, MAX_LABELS, withinCharacters } from '../core/validate.js';
import { DEFAULT_MIRRORS } from '../mirrors.js';
import { parseSeed } from './seed-endpoint.js';

const PeerRegion = Type.Object(
  {
    region: Type.String({ minLength: 1, maxLength: 253 }),
    regionPeerName: Type.String({ minLength: 1 }),
    regionPeerPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  },
  { additionalProperties: false },
);

/**
 * The bootstrap file, written once by gridops with create-only semantics (never rewritten, so
 * growing the grid changes no existing node's files). Only nodes born in their group's first
 * bootstrap get an electorate; a node added later gets none and signs in instead.
 */
export const BootstrapFile = Type.Object(
  {
    /** The sub-grid's first-bootstrap electorate: node names. */
    subgrid: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { minItems: 1, uniqueItems: true })),
    /** The region's first-bootstrap electorate: sub-grid names. */
    region: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { minItems: 1, uniqueItems: true })),
    /** The join list: regions that existed when this node was born; other regions are learned from them. */
    peerRegions: Type.Optional(Type.Array(PeerRegion)),
  },
  { additionalProperties: false },
);
export type BootstrapFile = Static<typeof BootstrapFile>;

/** Where gridops writes the bootstrap file. */
export const DEFAULT_BOOTSTRAP_FILE = '/etc/gridagent/bootstrap.json';

const TimerOverrides = Type.Partial(
  Type.Object({
    tickMs: Type.Integer({ minimum: 10, maximum: 10_000 }),
    heartbeatInterval: Type.Integer({ minimum: 1 }),
    syncInterval: Type.Integer({ minimum: 1 }),
    registryRefreshInterval: Type.Integer({ minimum: 1 }),
    electionTimeoutMin: Type.Integer({ minimum: 1 }),
    electionTimeoutMax: Type.Integer({ minimum: 1 }),
    rankStep: Type.Integer({ minimum: 1 }),
    leaderLostTimeout: Type.Integer({ minimum: 1 }),
    suspectAfter: Type.Integer({ minimum: 1 }),
    suspicionMultiplier: Type.Number({ minimum: 1 }),
    removeAfter: Type.Integer({ minimum: 1 }),
    discoveryBase: Type.Integer({ minimum: 1 }),
    discoveryMax: Type.Integer({ minimum: 1 }),
    bootstrapAfter: Type.Integer({ minimum: 1 }),
    bootstrapGrace: Type.Integer({ minimum: 0 }),
    stabilizationTime: Type.Integer({ minimum: 0 }),
    rebalanceInterval: Type.Integer({ minimum: 1 }),
    transferTimeout: Type.Integer({ minimum: 1 }),
    peerRegionInterval: Type.Integer({ minimum: 1 }),
  }),
  { additionalProperties: false },
);

/** The config file as written (by gridops from the topology, or by hand). Timers are in milliseconds. */
export const WrittenAgentConfig = Type.Object(
  {
    node: Type.String({ minLength: 1, maxLength: 253 }),
    region: Type.String({ minLength: 1, maxLength: 253 }),
    subgrid: Type.String({ minLength: 1, maxLength: 253 }),
    bind: Type.String({ minLength: 1 }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    // Both checked below (advertiseProblem, multicastGroup), with a message that says what to write.
    advertise: Type.Optional(Type.String()),
    multicast: Type.Optional(Type.String()),
    seeds: Type.Optional(Type.Array(Type.String())),
    regionPeerName: Type.Optional(Type.String()),
    regionPeerPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    peerRegions: Type.Optional(Type.Array(PeerRegion)),
    superPeer: Type.Optional(Type.Union([Type.Literal('prefer'), Type.Literal('auto'), Type.Literal('never')])),
    bootstrapScore: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.Null()])),
    // What the other agents take from a join (validate.ts); the key's length is checked below, a record's key schema is not.
    labels: Type.Optional(Type.Record(Type.String(), Type.String(), { maxProperties: MAX_LABELS })),
    keyFile: Type.String({ minLength: 1 }),
    stateFile: Type.Optional(Type.String()),
    http: Type.Optional(Type.Object({ bind: Type.Optional(Type.String()), port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })) }, { additionalProperties: false })),
    bootstrapFile: Type.Optional(Type.String({ minLength: 1 })),
    expect: Type.Optional(Type.Integer({ minimum: 1 })),
    regionExpect: Type.Optional(Type.Integer({ minimum: 1 })),
    mirrors: Type.Optional(Type.Integer({ minimum: 2, maximum: 4 })),
    hysteresis: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
    timers: Type.Optional(TimerOverrides),
    regionTimers: Type.Optional(TimerOverrides),
    log: Type.Optional(Type.Object({ level: Type.Optional(Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')])) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type WrittenAgentConfig = Static<typeof WrittenAgentConfig>;

/** The normalised configuration: every default applied, timers converted to ticks. */
export interface AgentConfig {
  node: string;
  region: string;
  subgrid: string;
  bind: string;
  port: number;
  advertise: string;
  multicast: { group: string; port: number } | null;
  seeds: string[];
  regionPeerName: string | null;
  regionPeerPort: number;
  /**
   * The join list: other regions' region-peer DNS names to look for first (config `peerRegions`,
   * plus the bootstrap file's). Every other region is learned from summaries.
   */
  peerRegions: { region: string; regionPeerName: string; regionPeerPort: number }[];
  superPeer: 'prefer' | 'auto' | 'never';
  /** Rendered by gridops from facts: the score this node ranks by in first elections. */
  bootstrapScore: number | null;
  labels: Record<string, string>;
  keyFile: string;
  stateFile: string;
  http: { bind: string; port: number };
  /** The sub-grid's first-bootstrap electorate by name (bootstrap file), or null. */
  electorate: string[] | null;
  /** Its size (config `expect`, else the electorate's), or null: this node never bootstraps, it signs in. */
  expect: number | null;
  regionElectorate: string[] | null;
  regionExpect: number | null;
  mirrors: number;
  hysteresis: number;
  tickMs: number;
  timers: Timers;
  regionTimers: Timers;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** A config file that cannot be used; the message names the field and what to do. */
export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
}

/** Reads the config file and, if it exists, the bootstrap file it names. */
export function loadAgentConfig(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AgentConfigError(`cannot read config ${path}: ${(error as Error).message}; pass --config FILE`);
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new AgentConfigError(`${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  const bootstrapPath = isRecord(raw) && typeof raw['bootstrapFile'] === 'string' ? raw['bootstrapFile'] : DEFAULT_BOOTSTRAP_FILE;
  return normaliseAgentConfig(raw, path, loadBootstrapFile(bootstrapPath));
}

/** The bootstrap file, or null when there is none (a node added after its group's first bootstrap). */
export function loadBootstrapFile(path: string): BootstrapFile | null {
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AgentConfigError(`${path}: not valid JSON: ${(error as Error).message}; gridops writes it once, remove it only on a node that never ran`);
  }
  if (!Value.Check(BootstrapFile, raw)) {
    const problems = [...Value.Errors(BootstrapFile, raw)].slice(0, 5).map((error) => `${error.path || '/'}: ${error.message}`);
    throw new AgentConfigError(`${path}: ${problems.join('; ')}`);
  }
  return raw;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function normaliseAgentConfig(raw: unknown, source = 'config', bootstrap: BootstrapFile | null = null): AgentConfig {
  if (!Value.Check(WrittenAgentConfig, raw)) {
    const problems = [...Value.Errors(WrittenAgentConfig, raw)].slice(0, 5).map((error) => `${error.path || '/'}: ${error.message}`);
    throw new AgentConfigError(`${source}: ${problems.join('; ')}`);
  }
  const written = raw as WrittenAgentConfig;
  const port = written.port ?? 7946;
  // One clock ticks both tiers (daemon.ts): a region tick of its own would be accepted and ignored.
  if (written.regionTimers?.tickMs !== undefined) throw new AgentConfigError(`${source}: regionTimers.tickMs is not a setting (both tiers tick together): move it to timers.tickMs`);
  const tickMs = written.timers?.tickMs ?? DEFAULT_TICK_MS;
  // An empty value meant no multicast before the group was checked: it still does.
  const multicast = written.multicast !== undefined && written.multicast !== '' ? multicastGroup(written.multicast, source) : null;
  const badAdvertise = written.advertise !== undefined ? advertiseProblem(written.advertise) : null;
  if (badAdvertise !== null) throw new AgentConfigError(`${source}: ${badAdvertise}`);
  for (const [name, overrides] of [['timers', written.timers], ['regionTimers', written.regionTimers]] as const) {
    const short = shorterThanATick(overrides, tickMs);
    if (short !== undefined) {
      const atLeast = ZERO_MEANS_NONE.has(short[0]) ? `0 or at least ${tickMs}` : `at least ${tickMs}`;
      throw new AgentConfigError(`${source}: ${name}.${short[0]} is ${short[1]} ms, less than one tick (timers.tickMs, ${tickMs} ms), which the agent cannot count: write ${atLeast}, or lower timers.tickMs`);
    }
  }
  const timers = toTicks(SUBGRID_TIMERS, written.timers, tickMs);
  const regionTimers = toTicks(REGION_TIMERS, written.regionTimers, tickMs);
  for (const [name, set, overrides, defaults] of [['timers', timers, written.timers, SUBGRID_TIMERS], ['regionTimers', regionTimers, written.regionTimers, REGION_TIMERS]] as const) {
    // As written (or the default's wall time), with the whole ticks it runs as where those differ: the check compares what runs.
    const said = (field: keyof Timers): string => {
      const ms = (overrides as Partial<Record<keyof Timers, number>> | undefined)?.[field] ?? defaults[field] * DEFAULT_TICK_MS;
      return `${name}.${field} (${ms} ms${ms === set[field] * tickMs ? '' : `, ${set[field]} ticks of ${tickMs} ms`})`;
    };
    if (set.electionTimeoutMax < set.electionTimeoutMin) throw new AgentConfigError(`${source}: ${name}.electionTimeoutMax must be >= electionTimeoutMin`);
    if (set.electionTimeoutMin <= set.syncInterval) {
      // A coarse tick rounds the defaults (500 ms and 200 ms) to the same count: say that it is the tick.
      const coarse = tickMs > DEFAULT_TICK_MS ? ` (in ticks of ${tickMs} ms: lower timers.tickMs)` : '';
      throw new AgentConfigError(`${source}: ${name}.electionTimeoutMin must exceed syncInterval, or healthy leaders get deposed${coarse}`);
    }
    // A heartbeat is what keeps a member from being suspected, and what its super peer answers.
    const beat = `${said('heartbeatInterval')} must be shorter than`;
    if (set.heartbeatInterval >= set.suspectAfter) {
      throw new AgentConfigError(`${source}: ${beat} ${said('suspectAfter')}, or the super peer suspects members between their heartbeats`);
    }
    if (set.heartbeatInterval >= set.leaderLostTimeout) {
      throw new AgentConfigError(`${source}: ${beat} ${said('leaderLostTimeout')}, or members search for a new super peer between their heartbeats`);
    }
  }
  // The agent's sockets are IPv4: '::' would pass as a wildcard here only to be refused at start
  // (bind-address.ts), after the operator had added the advertise address this asks for.
  if (isIPv6(written.bind)) throw new AgentConfigError(`${source}: bind ${written.bind} is an IPv6 address, and gridagent speaks IPv4 only; write the node's IPv4 address (or 0.0.0.0 with advertise)`);
  for (const seed of written.seeds ?? []) {
    const parsed = parseSeed(seed);
    if ('problem' in parsed) throw new AgentConfigError(`${source}: ${parsed.problem}`);
  }
  // In characters as the topology counts them (validate.ts), as every peer checks the node's join.
  const longLabel = Object.keys(written.labels ?? {}).find((label) => !withinCharacters(label, MAX_LABEL_KEY));
  if (longLabel !== undefined) throw new AgentConfigError(`${source}: the label ${longLabel} is longer than ${MAX_LABEL_KEY} characters`);
  const longValue = Object.entries(written.labels ?? {}).find(([, value]) => !withinCharacters(value, MAX_LABEL_VALUE));
  if (longValue !== undefined) throw new AgentConfigError(`${source}: the value of label ${longValue[0]} is longer than ${MAX_LABEL_VALUE} characters`);
  const bindIsWildcard = written.bind === '0.0.0.0';
  if (bindIsWildcard && written.advertise === undefined) throw new AgentConfigError(`${source}: bind is a wildcard; set advertise to the address other nodes should use`);
  // Checked here, not met at start: a port the agent's own sockets share failed the bind (EADDRINUSE, a stack) at every restart.
  const httpPort = written.http?.port ?? DEFAULT_HTTP_PORT;
  const httpBind = written.http?.bind ?? DEFAULT_HTTP_BIND;
  const ownPort = "the agent's own port";
  if (httpPort === port && !bindSideBySide(written.bind, httpBind)) throw new AgentConfigError(`${source}: http.port ${httpPort} is also port, ${ownPort}: give the HTTP endpoint another port (${DEFAULT_HTTP_PORT} when http.port is left out)`);
  if (multicast !== null && multicast.port === port) throw new AgentConfigError(`${source}: the port of multicast ${written.multicast} is also port, ${ownPort}: give multicast another port`);
  return {
    node: written.node,
    region: written.region,
    subgrid: written.subgrid,
    bind: written.bind,
    port,
    advertise: written.advertise ?? `${written.bind}:${port}`,
    multicast,
    seeds: written.seeds ?? [],
    regionPeerName: written.regionPeerName ?? null,
    regionPeerPort: written.regionPeerPort ?? port,
    peerRegions: [...(written.peerRegions ?? []), ...(bootstrap?.peerRegions ?? [])]
      .filter((peer, index, all) => peer.region !== written.region && all.findIndex((other) => other.region === peer.region) === index)
      .map((peer) => ({ region: peer.region, regionPeerName: peer.regionPeerName, regionPeerPort: peer.regionPeerPort ?? written.regionPeerPort ?? port })),
    superPeer: written.superPeer ?? 'auto',
    bootstrapScore: written.bootstrapScore ?? null,
    labels: written.labels ?? {},
    keyFile: written.keyFile,
    stateFile: written.stateFile ?? `/var/lib/gridagent/${written.node}.state.json`,
    http: { bind: httpBind, port: httpPort },
    electorate: bootstrap?.subgrid ?? null,
    expect: written.expect ?? bootstrap?.subgrid?.length ?? null,
    regionElectorate: bootstrap?.region ?? null,
    regionExpect: written.regionExpect ?? bootstrap?.region?.length ?? null,
    mirrors: written.mirrors ?? DEFAULT_MIRRORS,
    hysteresis: written.hysteresis ?? 0.25,
    tickMs,
    timers,
    regionTimers,
    logLevel: written.log?.level ?? 'info',
  };
}

/** A port as written after HOST: 1 to 65535. */
const portOf = (text: string): number | null => {
  const port = Number(text);
  return /^[0-9]+$/.test(text) && port >= 1 && port <= 65535 ? port : null;
};

/**
 * The multicast group and port. The group must be an IPv4 multicast address (224.0.0.0/4): any other
 * (10.0.0.1:7947 passed the old pattern) made the membership's join throw EINVAL at start, an exit
 * with a stack rather than a config error (78) naming the key.
 */
function multicastGroup(written: string, source: string): { group: string; port: number } {
  const [, group = '', portText = ''] = /^([^:]*):([^:]*)$/.exec(written) ?? [];
  const port = portOf(portText);
  const firstOctet = Number(group.split('.')[0]);
  if (!isIPv4(group) || firstOctet < 224 || firstOctet > 239 || port === null) {
    throw new AgentConfigError(`${source}: multicast ${written} is not GROUP:PORT with an IPv4 multicast group (224.0.0.0/4) and a port from 1 to 65535; write it as 239.192.10.1:7947 (239.192.0.0/14 is for a site's own use), or omit it to discover without multicast`);
  }
  return { group, port };
}

/** A DNS name's labels: letters, digits and hyphens, not at a label's ends; a final dot allowed. */
const DNS_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;

/**
 * Why `advertise` cannot be used, or null. Every peer sends to it as written (HOST:PORT): one
 * without a port, or with a host the udp4 socket cannot send to (IPv6, a malformed name), made
 * every peer's send to this node fail with nothing in the log but a counter.
 */
function advertiseProblem(advertise: string): string | null {
  const fix = 'write the IPv4 address or DNS name other nodes reach this node at, with its port: 10.0.1.11:7946 or n1.example.org:7946';
  const [, host = '', portText = ''] = /^([^:]*):([^:]*)$/.exec(advertise) ?? [];
  if (isIPv6(advertise) || isIPv6(host.replace(/^\[|\]$/g, '')) || advertise.startsWith('[')) return `advertise ${advertise} is not an IPv4 address or DNS name: gridagent speaks IPv4 only; ${fix}`;
  if (host === '' || portOf(portText) === null) return `advertise ${advertise} is not HOST:PORT with a port from 1 to 65535; ${fix}`;
  // A dotted quad that is not an address (10.0.1.300) would otherwise pass as a name.
  if (/^[0-9.]+$/.test(host) ? !isIPv4(host) : !DNS_NAME.test(host)) return `advertise ${advertise} is not an IPv4 address or DNS name; ${fix}`;
  return null;
}

/** The HTTP endpoint's port and address when the config names none. */
const DEFAULT_HTTP_PORT = 7950;
const DEFAULT_HTTP_BIND = '127.0.0.1';

/**
 * Whether the agent's sockets and the HTTP endpoint can share a port: on two different specific
 * IPv4 addresses they bind side by side. A wildcard takes the port on every address, and a name may
 * resolve to the other's address, so those must differ in port.
 */
function bindSideBySide(bind: string, httpBind: string): boolean {
  return isIPv4(bind) && isIPv4(httpBind) && bind !== httpBind && bind !== '0.0.0.0' && httpBind !== '0.0.0.0';
}

/** The timers whose 0 means no wait at all (a newcomer a voter at once; no grace for a better-ranked node), which the core counts as such. */
const ZERO_MEANS_NONE: ReadonlySet<string> = new Set(['stabilizationTime', 'bootstrapGrace']);

/**
 * The first timer override (in milliseconds) shorter than a tick, with its value: the core counts
 * whole ticks, and such a value ran as one tick, longer than written, with nothing said.
 */
function shorterThanATick(overrides: Static<typeof TimerOverrides> | undefined, tickMs: number): [string, number] | undefined {
  return Object.entries(overrides ?? {}).find(
    ([key, value]) => key !== 'tickMs' && key !== 'suspicionMultiplier' && value !== undefined && value < tickMs && !(value === 0 && ZERO_MEANS_NONE.has(key)),
  ) as [string, number] | undefined;
}

/** The tick the default timers (core/timers.ts) are counted in (config timers are milliseconds; the core counts ticks). */
const DEFAULT_TICK_MS = 100;

/**
 * The timers in ticks of `tickMs`: the defaults keep their wall time (a 50 ms tick doubles their
 * counts), and each override, in milliseconds, is divided by the tick.
 */
function toTicks(defaults: Timers, overrides: Static<typeof TimerOverrides> | undefined, tickMs: number): Timers {
  const timers = tickMs === DEFAULT_TICK_MS ? { ...defaults } : scaleTimers(defaults, DEFAULT_TICK_MS / tickMs);
  if (overrides === undefined) return timers;
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'tickMs' || value === undefined) continue;
    const field = key as keyof Timers;
    timers[field] = field === 'suspicionMultiplier' || value === 0 ? value : Math.max(1, Math.round(value / tickMs));
  }
  return timers;
}
