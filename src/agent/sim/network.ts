import { AgentCore, type AgentSettings } from '../core/agent.js';
import { seededRandom, type Random } from '../core/prng.js';
import type { AgentEvent, OutboundPacket, Packet, PersistentState } from '../core/types.js';
import { encodedSize } from '../core/wire.js';
import { EventQueue } from './event-queue.js';

/** A simulated node: the settings it boots with, and what survives a crash (its state file). */
export interface SimNodeSpec {
  settings: AgentSettings;
  /** Names this node's config lists as unicast seeds. */
  seeds?: string[];
}

export interface SimOptions {
  seed: number;
  tickMs?: number;
  /** One-way latency inside a sub-grid (a LAN), uniform in [min, max] ms. */
  lanLatencyMs?: [number, number];
  /** One-way latency between sub-grids (the region tier crosses a WAN). */
  wanLatencyMs?: [number, number];
  /** Probability that any one packet is lost. */
  loss?: number;
  /** Count encoded bytes per node (costs a JSON encoding per packet). */
  measureBytes?: boolean;
  /** What the region peer's DNS name resolves to, per region. */
  dns?: Record<string, string[]>;
  /**
   * Each node ticks at its own seeded offset within the tick, as real agents do (each process's
   * timer started at its own moment), instead of every node ticking at the same instant. Timeouts
   * counted in ticks then disagree by up to a tick between nodes, as they do on real machines.
   */
  tickPhases?: boolean;
}

/** Per-node traffic counters. */
export interface Traffic {
  bytesSent: number;
  bytesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  /** Bytes sent + received per message type (only with measureBytes). */
  bytesByType: Record<string, number>;
}

interface SimNode {
  spec: SimNodeSpec;
  core: AgentCore | null;
  persisted: PersistentState | null;
  incarnation: number;
  traffic: Traffic;
}

type SimEvent = { kind: 'tick'; node?: string } | { kind: 'deliver'; to: string; from: string; fromAddr?: string; packet: Packet; bytes: number };

/** A packet on the wire, as an attacker on the network sees it (its MAC is valid: it can only be replayed). */
export interface WirePacket {
  from: string;
  to: string;
  packet: Packet;
}

/** Called after each node processed a tick or a message; the property tests check invariants here. */
export type StepObserver = (node: string, core: AgentCore, time: number) => void;
export type EventObserver = (node: string, event: AgentEvent, time: number) => void;
export type WireObserver = (packet: WirePacket, time: number) => void;
export type SendObserver = (from: string, out: OutboundPacket, time: number) => void;

/**
 * An in-memory, deterministic network of agents in the style of etcd-io/raft's tests: seeded
 * latency and loss, cut(a, b), isolate(n), crash and restart (state file kept), heal.
 */
export class SimNetwork {
  readonly tickMs: number;
  private readonly random: Random;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes = new Map<string, SimNode>();
  private readonly cuts = new Set<string>();
  private readonly isolated = new Set<string>();
  /** Starved nodes (CPU saturation): they tick only every `every` ticks, reporting the lag or not. */
  private readonly starved = new Map<string, { every: number; reportLag: boolean; phase: number }>();
  private readonly bySubgrid = new Map<string, string[]>();
  private readonly lan: [number, number];
  private readonly wan: [number, number];
  private loss: number;
  /** Packets lost on purpose, whatever the loss rate (loseWhere). */
  private lost: ((from: string, to: string, message: Packet['message']) => boolean) | null = null;
  private readonly measureBytes: boolean;
  private readonly dns: Record<string, string[]>;
  private time = 0;
  private stepObservers: StepObserver[] = [];
  private eventObservers: EventObserver[] = [];
  private wireObservers: WireObserver[] = [];
  private sendObservers: SendObserver[] = [];

  constructor(specs: SimNodeSpec[], private readonly options: SimOptions) {
    this.tickMs = options.tickMs ?? 100;
    this.random = seededRandom(options.seed ^ 0x5eed);
    this.lan = options.lanLatencyMs ?? [0.2, 2];
    this.wan = options.wanLatencyMs ?? [5, 30];
    this.loss = options.loss ?? 0;
    this.measureBytes = options.measureBytes ?? false;
    this.dns = { ...(options.dns ?? {}) };
    for (const spec of specs) this.addNode(spec);
    if (!this.tickPhases) this.queue.push(this.tickMs, { kind: 'tick' });
  }

  private get tickPhases(): boolean {
    return this.options.tickPhases === true;
  }

  /** A node new to the network (growing a grid); start() boots it. */
  addNode(spec: SimNodeSpec): void {
    const name = spec.settings.name;
    if (this.nodes.has(name)) throw new Error(`node ${name} exists`);
    this.nodes.set(name, { spec, core: null, persisted: null, incarnation: 0, traffic: { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0, bytesByType: {} } });
    const group = this.bySubgrid.get(spec.settings.subgrid) ?? [];
    group.push(name);
    this.bySubgrid.set(spec.settings.subgrid, group);
    if (this.tickPhases) this.queue.push(this.time + this.tickMs * (1 + this.random.next()), { kind: 'tick', node: name });
  }

  /** What a region's DNS name resolves to from now on (a zone updated for a new region). */
  setDns(region: string, names: string[]): void {
    this.dns[region] = [...names];
  }

  get now(): number {
    return this.time;
  }

  names(): string[] {
    return [...this.nodes.keys()];
  }

  subgridMembers(subgrid: string): string[] {
    return this.bySubgrid.get(subgrid) ?? [];
  }

  core(name: string): AgentCore | null {
    return this.nodes.get(name)?.core ?? null;
  }

  isUp(name: string): boolean {
    return this.nodes.get(name)?.core != null;
  }

  traffic(name: string): Traffic {
    return this.nodes.get(name)!.traffic;
  }

  onStep(observer: StepObserver): void {
    this.stepObservers.push(observer);
  }

  onEvent(observer: EventObserver): void {
    this.eventObservers.push(observer);
  }

  /** Sees every packet a node sends, where it sends it, even to an address where nobody listens. */
  onSend(observer: SendObserver): void {
    this.sendObservers.push(observer);
  }

  /** Sees every packet as it is delivered (an attacker recording the wire). */
  onWire(observer: WireObserver): void {
    this.wireObservers.push(observer);
  }

  /**
   * Delivers a recorded packet again, as if `from` had sent it now (a replay). `fromAddr` is the
   * source address the receiver sees: by default the sender's own, or another one for an attacker
   * replaying from its own host (the MAC does not cover the source address).
   */
  inject(to: string, from: string, packet: Packet, fromAddr?: string): void {
    this.queue.push(this.time + this.lan[0], { kind: 'deliver', to, from, fromAddr: fromAddr ?? this.nodes.get(from)?.spec.settings.addr, packet, bytes: 0 });
  }

  /** Starts (or restarts) a node from its persisted state, with a new incarnation. */
  start(name: string): void {
    const node = this.nodes.get(name)!;
    if (node.core !== null) return;
    node.incarnation++;
    const seed = (this.options.seed * 7919 + hash(name) * 31 + node.incarnation) >>> 0;
    node.core = new AgentCore({
      settings: node.spec.settings,
      persisted: node.persisted,
      incarnation: node.incarnation,
      // The runtime draws it at random; here it is derived from the seed, so runs replay exactly.
      nonce: mix32(seed ^ 0x6e6f6e63) || 1,
      seed,
    });
    this.drain(name, node);
  }

  /**
   * A machine re-added under the same name (after a decommission, or a rename): no state file, so
   * its first incarnation is another host's clock in seconds, here `incarnation`, which may be
   * lower than the one that left.
   */
  reinstall(name: string, incarnation: number): void {
    const node = this.nodes.get(name)!;
    if (node.core !== null) return;
    node.persisted = null;
    node.incarnation = incarnation - 1;
    this.start(name);
  }

  startAll(): void {
    for (const name of this.nodes.keys()) this.start(name);
  }

  /** Crash: the process vanishes, only its state file survives. */
  crash(name: string): void {
    const node = this.nodes.get(name)!;
    node.core = null;
  }

  /**
   * SIGTERM of a member: it tells its super peer it is leaving, then exits. `forGood`: it is
   * decommissioned (`gridagent leave`; call it after a super peer's handover completed).
   */
  leave(name: string, forGood = false): void {
    const node = this.nodes.get(name)!;
    if (node.core === null) return;
    node.core.leave(forGood);
    this.drain(name, node);
    node.core = null;
  }

  restart(name: string): void {
    this.start(name);
  }

  /**
   * Gives a stopped node a new address (host:port), as a restart with a changed `agent.port` does:
   * from its next start it listens and sends there only. See addressAllows.
   */
  readdress(name: string, addr: string): void {
    const node = this.nodes.get(name)!;
    if (node.core !== null) throw new Error(`${name} is running: stop it before it moves`);
    node.spec = { ...node.spec, settings: { ...node.spec.settings, addr } };
  }

  cut(a: string, b: string): void {
    this.cuts.add(pairKey(a, b));
  }

  isolate(name: string): void {
    this.isolated.add(name);
  }

  /** Splits nodes into two sides that cannot talk to each other. */
  partition(side: string[]): void {
    const inside = new Set(side);
    for (const a of side) for (const b of this.nodes.keys()) if (!inside.has(b)) this.cuts.add(pairKey(a, b));
  }

  /** Heals every cut and isolation. */
  /**
   * Starves a node as a saturated CPU does: its timer runs only every `every` ticks, each tick
   * late by the ticks it missed (as Node's setInterval, which does not catch up). `reportLag`
   * false hides the lag from the core, to show what local health is for. `every` 1 ends it.
   */
  starve(name: string, every: number, reportLag = true): void {
    if (every <= 1) this.starved.delete(name);
    else this.starved.set(name, { every, reportLag, phase: 0 });
  }

  heal(): void {
    this.cuts.clear();
    this.isolated.clear();
  }

  setLoss(loss: number): void {
    this.loss = loss;
  }

  /** Loses every packet `lose` picks (a given message type between two nodes, say), until called with null. */
  loseWhere(lose: ((from: string, to: string, message: Packet['message']) => boolean) | null): void {
    this.lost = lose;
  }

  canTalk(a: string, b: string): boolean {
    return !this.isolated.has(a) && !this.isolated.has(b) && !this.cuts.has(pairKey(a, b));
  }

  /** Runs the simulation until `until` ms (inclusive). */
  runUntil(until: number): void {
    for (;;) {
      const next = this.queue.peekTime();
      if (next === undefined || next > until) break;
      const entry = this.queue.pop()!;
      this.time = entry.at;
      const event = entry.item;
      if (event.kind === 'tick') {
        const ticking = event.node === undefined ? [...this.nodes] : [[event.node, this.nodes.get(event.node)!] as const];
        for (const [name, node] of ticking) {
          if (node.core === null) continue;
          const starved = this.starved.get(name);
          if (starved !== undefined && ++starved.phase % starved.every !== 0) continue;
          node.core.tick(starved?.reportLag ? (starved.every - 1) * this.tickMs : 0);
          this.drain(name, node);
        }
        this.queue.push(this.time + this.tickMs, event);
      } else {
        const node = this.nodes.get(event.to)!;
        if (node.core === null || !this.canTalk(event.from, event.to)) continue;
        node.traffic.bytesReceived += event.bytes;
        node.traffic.messagesReceived++;
        const type = event.packet.message.type;
        if (this.measureBytes) node.traffic.bytesByType[type] = (node.traffic.bytesByType[type] ?? 0) + event.bytes;
        for (const observer of this.wireObservers) observer({ from: event.from, to: event.to, packet: event.packet }, this.time);
        node.core.receive(event.packet, event.fromAddr ?? event.from);
        this.drain(event.to, node);
      }
    }
    this.time = Math.max(this.time, until);
  }

  runFor(ms: number): void {
    this.runUntil(this.time + ms);
  }

  private drain(name: string, node: SimNode): void {
    const core = node.core!;
    const ready = core.ready();
    if (ready.persist !== null) node.persisted = ready.persist;
    // As the daemon puts a grown epoch on disk (state-file.ts), so that a restart begins above it.
    if (ready.epoch !== null) node.incarnation = Math.max(node.incarnation, ready.epoch);
    for (const event of ready.events) for (const observer of this.eventObservers) observer(name, event, this.time);
    for (const out of ready.messages) this.transmit(name, node, out);
    for (const observer of this.stepObservers) observer(name, core, this.time);
  }

  private transmit(from: string, node: SimNode, out: OutboundPacket): void {
    const bytes = this.measureBytes ? encodedSize(out.message) : 0;
    node.traffic.bytesSent += bytes;
    node.traffic.messagesSent++;
    for (const observer of this.sendObservers) observer(from, out, this.time);
    if (this.measureBytes) node.traffic.bytesByType[out.message.type] = (node.traffic.bytesByType[out.message.type] ?? 0) + bytes;
    for (const to of this.resolve(from, node, out)) {
      if (to === from || !this.nodes.has(to)) continue;
      if (!this.canTalk(from, to)) continue;
      if (!this.addressAllows(out, this.nodes.get(to)!)) continue;
      if (this.lost !== null && this.lost(from, to, out.message)) continue;
      if (this.loss > 0 && this.random.next() < this.loss) continue;
      const sameSubgrid = this.nodes.get(to)!.spec.settings.subgrid === node.spec.settings.subgrid;
      const [low, high] = sameSubgrid ? this.lan : this.wan;
      const latency = low + (high - low) * this.random.next();
      this.queue.push(this.time + latency, { kind: 'deliver', to, from, fromAddr: node.spec.settings.addr, packet: { header: out.header, message: out.message }, bytes });
    }
  }

  /**
   * A node given an address (settings.addr) is reached, as in the runtime, only at that address:
   * a packet sent to it by name with an old address (its port before a restart), or with none,
   * goes nowhere. Nodes without one are reached by name, as before addresses were simulated.
   * Multicast, seeds and DNS names still reach every node they name.
   */
  private addressAllows(out: OutboundPacket, to: SimNode): boolean {
    const addr = to.spec.settings.addr;
    return out.dest.kind !== 'node' || addr === undefined || out.dest.addr === addr;
  }

  private resolve(from: string, node: SimNode, out: OutboundPacket): string[] {
    switch (out.dest.kind) {
      case 'node':
        return [out.dest.name];
      case 'multicast':
        return this.bySubgrid.get(node.spec.settings.subgrid) ?? [];
      case 'seeds':
        return node.spec.seeds ?? [];
      case 'regionName':
        return this.dns[node.spec.settings.region] ?? [];
      case 'peerRegion':
        return this.dns[out.dest.region] ?? [];
    }
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** A 32-bit finaliser (murmur3's). */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hash(text: string): number {
  let value = 2166136261;
  for (let index = 0; index < text.length; index++) value = Math.imul(value ^ text.charCodeAt(index), 16777619);
  return value >>> 0;
}
