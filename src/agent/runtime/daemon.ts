import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname } from 'node:path';
import { AgentCore } from '../core/agent.js';
import type { AgentEvent, OutboundPacket, Packet, PersistentState } from '../core/types.js';
import { AGENT_VERSION } from '../version.js';
import type { AgentConfig } from './config.js';
import { readGridKey } from './grid-key.js';
import { readHostAttributes } from './host-attributes.js';
import { saidOncePerCode, startHttpServer, stopHttpServer } from './http-server.js';
import { hasLeaveMarker, leaveMarkerPath, type LeftRecord, readLeaveMarker, REJOIN_HINT, writeLeaveMarker } from './leave-marker.js';
import { drawLeaveToken, leaveTokenPath, writeLeaveToken } from './leave-token.js';
import { LeaveNotRecordedError } from './leave-not-recorded.js';
import { LEFT_TOO_EARLY } from './left-too-early.js';
import { leftStatus } from './left-status.js';
import { jsonLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { defineProcessMetrics } from './process-metrics.js';
import { lookupIPv4 } from './ipv4-lookup.js';
import { RegionPeerResolver } from './region-resolver.js';
import { RegionResolvers } from './region-resolvers.js';
import { SeedResolver } from './seed-resolver.js';
import { FailuresInARow, guardStep, MAX_FAILED_TICKS_IN_A_ROW, type StepContext } from './step-guard.js';
import { nextEpoch, readStateFile, writePrivateFile, writeStateFile } from './state-file.js';
import { writeAtStart } from './start-write-error.js';
import { knownPeerHosts } from './known-peer-hosts.js';
import { KnownPeerNames } from './known-peer-names.js';
import { AgentTransport } from './transport.js';
import { startWhenAddressIsUp, type AddressWait } from './bind-retry.js';

/** How long a super peer waits for its successor on SIGTERM before exiting anyway. */
const HANDOVER_DEADLINE_MS = 4_000;
/**
 * How often the transport learns the addresses of the peers the core knows (known-peer-hosts.ts):
 * a peer that just joined is rationed like any unknown source until then, and listing a large
 * registry every tick would cost more than it saves.
 */
const KNOWN_PEERS_REFRESH_MS = 1_000;
/** A state file write that held the event loop this long is logged: a fifth of the shortest election timeout. */
const SLOW_STATE_WRITE_MS = 100;

/**
 * Runs the protocol core against the real world: maps wall time to ticks, packets to step(),
 * and ready() to disk writes, packets, logs and metrics.
 */
export class AgentDaemon {
  private readonly log: Logger;
  private readonly metrics = new Metrics();
  private core!: AgentCore;
  private transport!: AgentTransport;
  private http: Server | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private attributeTimer: NodeJS.Timeout | null = null;
  private epoch = 0;
  /** Monotonic, for the uptime: a wall clock stepped back would show a negative one. */
  private readonly startedAt = performance.now();
  private readonly resolver: RegionPeerResolver;
  private readonly seeds: SeedResolver;
  /** Other regions' DNS names, as many as the directory knows (region-resolvers.ts). */
  private readonly peerResolvers: RegionResolvers;
  private handoverWaiters: ((successor: string | null) => void)[] = [];
  private stopping = false;
  private readonly failedTicks = new FailuresInARow(MAX_FAILED_TICKS_IN_A_ROW);
  /** Set once the node has left the grid for good: it stays idle (systemd would restart an exit) until stopped. */
  private left: LeftRecord | null = null;
  /** Ticks run so far: /status is built anew for each (startHttp). */
  private ticksRun = 0;
  /** The leave under way, if any: a SIGTERM, or a second `gridagent leave`, waits for it (see stop). */
  private leaving: Promise<{ left: true; successor: string | null }> | null = null;

  constructor(private readonly config: AgentConfig) {
    this.log = jsonLogger(config.node, config.logLevel);
    this.resolver = new RegionPeerResolver(config.regionPeerName, config.regionPeerPort, { warn: (msg, fields) => this.log.warn(msg, fields) });
    this.seeds = new SeedResolver(config.seeds, { resolve: lookupIPv4, warn: (msg, fields) => this.log.warn(msg, fields) });
    this.peerResolvers = new RegionResolvers(config.regionPeerPort, () => [
      ...config.peerRegions.map((peer) => peer.regionPeerName),
      ...this.core.directory.knownRegions().flatMap((region) => (region.name !== undefined ? [region.name] : [])),
    ]);
    for (const peer of config.peerRegions) this.peerResolvers.add(peer.regionPeerName, peer.regionPeerPort);
    this.defineMetrics();
  }

  /** The marker that this node left the grid for good: a restart (or reboot) must not bring it back. */
  private get leftMarker(): string {
    return leaveMarkerPath(this.config.stateFile);
  }

  /** `addressWait.startedAt`: when the start began to wait for the node's address (resolving a bind name), so the bind continues that window. */
  async start(addressWait: Pick<AddressWait, 'startedAt'> = {}): Promise<void> {
    const config = this.config;
    const tokenFile = leaveTokenPath(config.stateFile);
    // Each start binds its sockets before it writes any file: the port is what keeps a second agent
    // of the node (a stray `gridagent run` as root) from running, and one that wrote first replaced
    // the running agent's leave token and the epoch in its state file before failing on the port,
    // so every later `gridagent leave` was refused (403) and a decommission stopped a node that never left.
    this.left = readLeaveMarker(this.leftMarker);
    if (this.left !== null) {
      // An idle agent has only its HTTP port: it listens with its token, then writes it. No request
      // is served between the two, as nothing is awaited between them.
      // leave() answers from the record, and writes the marker again where `gridagent rejoin` removed it.
      const leaveToken = drawLeaveToken();
      this.http = await this.startHttp({ metrics: () => this.metrics.render(), leave: () => this.leave(), leaveToken }, addressWait);
      try {
        writeAtStart(tokenFile, () => writeLeaveToken(tokenFile, leaveToken));
      } catch (error) {
        await stopHttpServer(this.http);
        throw error;
      }
      this.log.info('this node left the grid for good earlier; staying idle', { marker: this.leftMarker, rejoin: REJOIN_HINT });
      return;
    }
    const key = readGridKey(config.keyFile);
    // Both ports before any write, as the idle agent above: one that `gridagent rejoin` left idle
    // (its marker removed, no restart) holds only its HTTP port, and a stray start that bound the
    // agent's port wrote a new token and epoch before it failed on the HTTP port (every later leave 403).
    const leaveToken = drawLeaveToken();
    this.transport = await this.bindTransport(key, addressWait);
    try {
      // Until the core exists every request is answered 503 (`starting`), and packets are dropped (onPacket).
      this.http = await this.startHttp({ metrics: () => this.metrics.render(), leave: () => this.leave(), leaveToken, starting: () => this.core === undefined }, addressWait);
    } catch (error) {
      await this.transport.close();
      throw error;
    }
    // From the HTTP listen to the core below nothing is awaited, so no request or packet meets a start half done.
    let onDisk: ReturnType<typeof readStateFile>;
    try {
      writeAtStart(tokenFile, () => writeLeaveToken(tokenFile, leaveToken));
      onDisk = readStateFile(config.stateFile);
      this.epoch = nextEpoch(onDisk.epoch, Date.now());
      writeAtStart(config.stateFile, () => writeStateFile(config.stateFile, { epoch: this.epoch, state: onDisk.state }));
    } catch (error) {
      await stopHttpServer(this.http);
      await this.transport.close();
      throw error;
    }
    this.core = new AgentCore({
      settings: {
        name: config.node,
        region: config.region,
        subgrid: config.subgrid,
        addr: config.advertise,
        multicast: config.multicast !== null,
        superPeer: config.superPeer,
        attrs: readHostAttributes(config.labels),
        ...(config.expect !== null ? { expect: config.expect } : {}),
        ...(config.electorate !== null ? { electorate: config.electorate } : {}),
        ...(config.regionExpect !== null ? { regionExpect: config.regionExpect } : {}),
        ...(config.regionElectorate !== null ? { regionElectorate: config.regionElectorate } : {}),
        ...(config.regionPeerName !== null ? { regionPeerName: config.regionPeerName } : {}),
        mirrors: config.mirrors,
        hysteresis: config.hysteresis,
        timers: config.timers,
        regionTimers: config.regionTimers,
        peerRegions: config.peerRegions.map((peer) => ({ region: peer.region, name: peer.regionPeerName })),
        tickMs: config.tickMs,
        ...(config.bootstrapScore !== null ? { bootstrapScore: config.bootstrapScore } : {}),
      },
      persisted: onDisk.state,
      incarnation: this.epoch,
      nonce: randomBytes(4).readUInt32BE(0) || 1,
      seed: (this.epoch ^ hashName(config.node)) >>> 0,
    });
    this.log.info('gridagent started', {
      version: AGENT_VERSION,
      region: config.region,
      subgrid: config.subgrid,
      bind: `${config.bind}:${config.port}`,
      multicast: config.multicast ? `${config.multicast.group}:${config.multicast.port}` : null,
      http: `${config.http.bind}:${config.http.port}`,
      epoch: this.epoch,
      // Milliseconds since the process started (Node's time origin): module load, config, key,
      // sockets. It is most of a restarted node's rejoin time, so the log says what it cost.
      startupMs: Math.round(performance.now()),
    });
    // The first tick runs now, not one tickMs later: a restarted node's first discover (and so its
    // rejoin) goes out as soon as the process is up.
    this.guarded({ step: 'tick' }, () => {
      this.core.tick(0);
      this.flush();
    });
    // Lifeguard's local health needs how late each tick runs: a starved event loop or CPU share
    // shows up here first, and the core then stays patient instead of suspecting its peers.
    let lastTickAt = performance.now();
    let wasSlow = false;
    let knownPeersAt = -Infinity;
    const knownPeerNames = new KnownPeerNames({ warn: (msg, fields) => this.log.warn(msg, fields) });
    this.ticker = setInterval(() => {
      const now = performance.now();
      const lagMs = Math.max(0, now - lastTickAt - config.tickMs);
      lastTickAt = now;
      const ticked = this.guarded({ step: 'tick' }, () => {
        this.ticksRun++;
        this.core.tick(lagMs);
        if (now - knownPeersAt >= KNOWN_PEERS_REFRESH_MS) {
          knownPeersAt = now;
          this.transport.setKnownPeers(knownPeerNames.addresses(knownPeerHosts(this.core)));
        }
        const slow = this.core.health.healthScore > 0;
        if (slow !== wasSlow) this.log.info(slow ? 'running late: failure timeouts widened' : 'on time again', { lagMs: Math.round(lagMs), healthScore: this.core.health.healthScore });
        wasSlow = slow;
        this.flush();
      });
      if (this.failedTicks.record(ticked)) this.stopNow(`${MAX_FAILED_TICKS_IN_A_ROW} ticks in a row failed (step-guard.ts)`);
    }, config.tickMs);
    this.attributeTimer = setInterval(() => this.guarded({ step: 'attributes' }, () => this.core.setAttributes(readHostAttributes(config.labels))), 5_000);
  }

  /**
   * The agent's UDP and TCP sockets (and multicast's). The node's address may come up a little after
   * the agent at boot (DHCP, a VLAN, a bond): waited for here, not by restarts.
   */
  private bindTransport(key: Buffer, addressWait: Pick<AddressWait, 'startedAt'>): Promise<AgentTransport> {
    const config = this.config;
    return startWhenAddressIsUp(
      `${config.bind}:${config.port}`,
      async () => {
        const transport = new AgentTransport(
          { bind: config.bind, port: config.port, multicast: config.multicast, key, warn: (msg, fields) => this.log.warn(msg, fields) },
          {
            packet: (packet, fromAddr, bytes, via) => this.onPacket(packet, fromAddr, bytes, via),
            dropped: (reason, bytes) => {
              this.metrics.inc('gridagent_dropped_total', { reason });
              this.metrics.inc('gridagent_dropped_bytes_total', {}, bytes);
              this.log.debug('packet dropped', { reason, bytes });
            },
            sent: (message, bytes, via) => {
              this.metrics.inc('gridagent_messages_sent_total', { type: message.type, tier: message.tier });
              this.metrics.inc('gridagent_bytes_sent_total', { via }, bytes);
            },
          },
        );
        await transport.start();
        return transport;
      },
      { ...addressWait, onRetry: (error, waitedMs) => this.log.warn('the node address is not up yet; binding again', { bind: `${config.bind}:${config.port}`, code: error.code, waitedMs: Math.round(waitedMs) }) },
    );
  }

  /**
   * The HTTP endpoint, which waits for its address as the agent's sockets do (bind-retry.ts): an
   * httpAddress that comes up after the agent (DHCP, a VLAN) failed the start at once, and systemd's
   * restarts could not wait for it. /status is the idle agent's once the node has left, whether it
   * left in this run (until then the core's, which still holds its last role) or before it.
   */
  private startHttp(handlers: Omit<Parameters<typeof startHttpServer>[2], 'status'>, addressWait: Pick<AddressWait, 'startedAt'>): Promise<Server> {
    const { http } = this.config;
    const status = () =>
      this.left !== null
        ? leftStatus(this.config, this.left.at, AGENT_VERSION)
        : { ...this.core.status(), version: AGENT_VERSION, epoch: this.epoch, uptimeSec: Math.round((performance.now() - this.startedAt) / 1000) };
    // A new /status body each tick, at once when a packet moved a role or a leader (a handover
    // between ticks), and once the node left (http-server.ts): a flood of requests builds it once
    // per tick. An agent started idle, its leave recorded before, has no core to ask.
    const statusVersion = () => (this.left !== null ? `left|${this.left.at}` : `${this.ticksRun}|${this.core.statusKey()}`);
    return startWhenAddressIsUp(`${http.bind}:${http.port}`, () => startHttpServer(http.bind, http.port, { ...handlers, status, statusVersion, onError: saidOncePerCode((message, code) => this.log.warn(message, { code })) }), {
      ...addressWait,
      onRetry: (error, waitedMs) => this.log.warn('the HTTP address is not up yet; listening again', { http: `${http.bind}:${http.port}`, code: error.code, waitedMs: Math.round(waitedMs) }),
    });
  }

  /**
   * SIGTERM: a super peer (or region peer) first hands its role to the best successor and
   * waits until that one has won, so the sub-grid always has a live super peer (rolling
   * upgrades rely on it); a member just tells its super peer it is leaving.
   */
  async stop(signal: string): Promise<void> {
    // A leave under way is not cut short (main exits once this returns): its marker is on disk, and
    // the node would stay out at every restart while the grid, maybe never told, saw a crash. The
    // leave is bounded by its own deadlines (a handover and a wait to be dropped, 4 s each).
    if (this.leaving !== null) await this.leaving.catch(() => undefined);
    if (this.stopping) return;
    this.stopping = true;
    if (this.left !== null) {
      if (this.http) await stopHttpServer(this.http);
      this.log.info('gridagent stopped', { signal, left: true });
      return;
    }
    await this.handOver(signal);
    this.core.leave();
    this.flush();
    await this.quiesce();
    if (this.http) await stopHttpServer(this.http);
    this.log.info('gridagent stopped', { signal });
  }

  /**
   * `gridagent leave` (POST /leave): leave the grid for good, before a decommission. A super peer
   * hands over first, as on SIGTERM; then the node tells its super peer and the voters that it is
   * gone for good, so they drop it from the voters at once (and, if it was the last node of its
   * sub-grid, the region drops the sub-grid's slot). It stays idle until stopped, and a marker keeps
   * it out after a restart.
   *
   * The marker is written first, before anything is announced: a node that told the grid it is gone
   * and then could not record it would sign back in at its next restart, while the decommission
   * went on as if it had left. So a marker that cannot be written (disk full, state directory
   * unwritable) fails the leave with the node still a full member (LeaveNotRecordedError), and the
   * same command leaves once the disk is fixed. A handover that fails afterwards, before anything is
   * announced, takes the marker back the same way; a SIGTERM meanwhile waits for the leave (stop).
   * `gridagent rejoin` removes the marker of a leave that is to be undone.
   */
  async leave(): Promise<{ left: true; successor: string | null }> {
    if (this.left !== null) {
      // `gridagent rejoin` removed the marker, the agent not restarted: without it again, the next start would sign the node back in.
      if (!hasLeaveMarker(this.leftMarker)) this.recordLeave(this.left, 'this node left the grid, but a restart would sign it back in');
      return { left: true, successor: this.left.successor };
    }
    // A second `gridagent leave` (the first one's CLI gave up waiting) gets the first one's answer.
    if (this.leaving !== null) return this.leaving;
    if (this.stopping) throw new Error('the agent is stopping');
    const leaving = this.leaveForGood();
    this.leaving = leaving;
    try {
      return await leaving;
    } finally {
      this.leaving = null;
    }
  }

  private async leaveForGood(): Promise<{ left: true; successor: string | null }> {
    const at = new Date().toISOString();
    this.recordLeave({ at, successor: null }, 'this node did not leave the grid, and is still a member of it');
    this.stopping = true;
    let successor: string | null;
    try {
      successor = await this.handOver('leave');
    } catch (error) {
      // Nothing announced yet: the node stays a member, so the marker must not keep it out after a restart.
      this.undoLeaveMarker(error);
      this.stopping = false;
      throw error;
    }
    this.core.leave(true);
    this.flush();
    await this.untilDropped();
    this.left = { at, successor };
    if (successor !== null) {
      try {
        writePrivateFile(this.leftMarker, `${JSON.stringify(this.left)}\n`);
      } catch (error) {
        // The marker written first already keeps the node out after a restart; it only lacks the
        // successor, which an idle agent reports and nothing acts on.
        this.log.warn('could not add the successor to the leave marker', { marker: this.leftMarker, error: String(error) });
      }
    }
    await this.quiesce();
    this.stopping = false;
    this.log.info('left the grid for good', { successor });
    return { left: true, successor };
  }

  /**
   * Writes the marker, or throws LeaveNotRecordedError where it is not on disk (leaveForGood says
   * why it comes first). A leave after `gridagent rejoin` writes it the same way: a node that was
   * told "left" must stay out after a restart, or the decommission would go on without it.
   */
  private recordLeave(record: LeftRecord, outcome: string): void {
    const failed = writeLeaveMarker(this.leftMarker, `${JSON.stringify(record)}\n`);
    if (failed === null) return;
    if (failed.recorded) {
      this.log.warn(failed.warning, {});
      return;
    }
    const notRecorded = new LeaveNotRecordedError(
      `${outcome}: the marker that keeps a node that left out after a restart, ${this.leftMarker}, could not be written (${failed.error.message}); free space on its disk or make ${dirname(this.leftMarker)} writable, then run gridagent leave again`,
    );
    this.log.error('leave failed', { reason: notRecorded.message });
    throw notRecorded;
  }

  /** A leave that failed before it told anyone takes its marker back; one that cannot be removed is logged with the way back. */
  private undoLeaveMarker(cause: unknown): void {
    try {
      unlinkSync(this.leftMarker);
      this.log.error('leave failed before anything was announced; still a member', { error: String(cause) });
    } catch (error) {
      this.log.error('leave failed before anything was announced, and its marker could not be removed: the node would stay out after a restart', {
        error: String(cause),
        marker: this.leftMarker,
        markerError: String(error),
        rejoin: REJOIN_HINT,
      });
    }
  }

  /** A super peer (or region peer) hands its role over and waits for the successor (at most 4 s). */
  private async handOver(reason: string): Promise<string | null> {
    const asked = this.core.handover();
    this.flush();
    if (asked.subgrid !== null || asked.region !== null) {
      this.log.info('handing over before exit', { reason, subgridSuccessor: asked.subgrid, regionSuccessor: asked.region });
      let deadline: NodeJS.Timeout | undefined;
      const successor = await Promise.race([
        new Promise<string | null>((resolve) => this.handoverWaiters.push(resolve)),
        new Promise<null>((resolve) => (deadline = setTimeout(() => resolve(null), HANDOVER_DEADLINE_MS))),
      ]);
      // A quick handover must not leave the deadline pending: it would hold the process (and a test run) open for 4 s.
      clearTimeout(deadline);
      this.log.info(successor ? 'handover complete' : 'handover timed out', { successor });
      return successor;
    }
    return null;
  }

  /**
   * After `leave`: keeps ticking and answering (the core repeats its leave meanwhile) until the node
   * holds a view without itself (at most 4 s), so that its acknowledgement lets the super peer commit
   * the view that drops it. Without it a sub-grid of two, whose joint view needs both old voters,
   * could never change its view, or elect, again.
   * The last node of a sub-grid waits the same way for the region view that drops its sub-grid's slot:
   * without it a region of two sub-grids was left with no region peer. A leaving super peer first
   * waits for the rest of its sub-grid to leave, where it all leaves at once (AgentCore.stillAVoter).
   */
  private async untilDropped(): Promise<void> {
    // Monotonic: a wall clock stepped forward ended the wait at once, and a sub-grid of two kept a voter that never came back.
    const deadline = performance.now() + HANDOVER_DEADLINE_MS;
    while (this.core.stillAVoter() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const waitingFor = this.core.lingersFor();
    if (waitingFor !== null) this.log.warn(LEFT_TOO_EARLY[waitingFor], {});
  }

  /** Stops ticking and closes the sockets, after the last packets had a moment to leave. */
  private async quiesce(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    if (this.attributeTimer) clearInterval(this.attributeTimer);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await this.transport.close();
  }

  private onPacket(packet: Packet, fromAddr: string | undefined, bytes: number, via: 'udp' | 'tcp'): void {
    // While the start waits for its HTTP port, after the agent's own is bound: no core to give it to yet (peers send again).
    if (this.core === undefined) {
      this.metrics.inc('gridagent_dropped_total', { reason: 'starting' });
      this.metrics.inc('gridagent_dropped_bytes_total', {}, bytes);
      return;
    }
    const message = packet.message;
    this.metrics.inc('gridagent_messages_received_total', { type: message.type, tier: message.tier });
    this.metrics.inc('gridagent_bytes_received_total', { via }, bytes);
    this.guarded({ step: 'receive', type: message.type, tier: message.tier, from: message.from }, () => {
      this.core.receive(packet, fromAddr);
      this.flush();
    });
  }

  /** A tick, a message or a send that throws is logged and counted, and ends only itself (step-guard.ts). */
  private guarded(context: StepContext, body: () => void): boolean {
    return guardStep({ log: this.log, metrics: this.metrics }, context, body);
  }

  /**
   * Ends the process at once, for systemd to restart it from the state on disk: for what the agent
   * must not run on. Here rather than by a throw, which a received packet's step would meet under
   * the transport's catch (transport.ts), counted as a malformed packet, the agent running on.
   */
  private stopNow(reason: string, error?: unknown): never {
    this.log.error('stopping', { reason, ...(error === undefined ? {} : { error: String(error) }) });
    process.exit(1);
  }

  /** Persist first, then send: a granted vote must survive a crash before anyone hears of it. */
  private flush(): void {
    const ready = this.core.ready();
    if (ready.epoch !== null) this.epoch = ready.epoch;
    if (ready.persist !== null || ready.epoch !== null) this.persist(ready.persist ?? this.core.persistentState());
    for (const event of ready.events) this.onEvent(event);
    // One message that cannot be sent must not take the others of this step with it.
    for (const out of ready.messages) this.guarded({ step: 'send', type: out.message.type, tier: out.message.tier, ...(out.message.to !== undefined ? { to: out.message.to } : {}) }, () => this.dispatch(out));
  }

  /**
   * The state file's write holds the event loop through its fsync, and a super peer that stops
   * sending for an election timeout (0.5 s) is replaced: a slow one is logged and counted, so an
   * election that follows it can be told from a network fault.
   */
  private persist(state: PersistentState): void {
    const started = performance.now();
    try {
      writeStateFile(this.config.stateFile, { epoch: this.epoch, state });
    } catch (error) {
      // Not a step to skip (step-guard.ts): the messages that depend on this state must not leave,
      // nor may the agent run on with a term or vote only in memory (it could vote twice after a restart).
      this.stopNow(`the state file ${this.config.stateFile} could not be written`, error);
    }
    const ms = performance.now() - started;
    this.metrics.inc('gridagent_state_writes_total');
    if (ms < SLOW_STATE_WRITE_MS) return;
    this.metrics.inc('gridagent_state_writes_slow_total');
    this.log.warn('state file write was slow', { ms: Math.round(ms) });
  }

  private dispatch(out: OutboundPacket): void {
    const dest = out.dest;
    switch (dest.kind) {
      case 'node':
        if (dest.addr === undefined) {
          this.metrics.inc('gridagent_dropped_total', { reason: 'noAddress' });
          return;
        }
        this.transport.send(out.message, out.header, dest.addr, out.bulk ?? false);
        return;
      case 'multicast':
        this.transport.sendMulticast(out.message, out.header);
        return;
      case 'seeds':
        // Resolved here, for IPv4 only: the udp4 socket would look a name up itself, but a name
        // without an IPv4 address would then fail every send with nothing in the log but a counter.
        // Not to itself: a seed written as its advertised endpoint, or resolving to it.
        this.seeds.each((target, written) => {
          if (target !== this.config.advertise && written !== this.config.advertise) this.transport.send(out.message, out.header, target, false);
        });
        return;
      case 'regionName':
        // IPv4 targets (SRV targets resolved by the resolver, as seeds), so the region peer knows itself among them.
        void this.resolver.resolve().then((targets) => {
          for (const target of targets) if (target !== this.config.advertise) this.transport.send(out.message, out.header, target, false);
        });
        return;
      case 'peerRegion': {
        // A DNS name learned from another region's summary, or one of the join list.
        const name = dest.name ?? this.config.peerRegions.find((peer) => peer.region === dest.region)?.regionPeerName;
        if (name === undefined) return;
        void this.peerResolvers.resolverFor(name).resolve().then((targets) => {
          for (const target of targets) if (target !== this.config.advertise) this.transport.send(out.message, out.header, target, false);
        });
        return;
      }
    }
  }

  private onEvent(event: AgentEvent): void {
    switch (event.type) {
      case 'electionStarted':
        this.metrics.inc('gridagent_elections_started_total', { tier: event.tier, phase: event.phase });
        this.log.info('election started', event);
        return;
      case 'electionWon':
        this.metrics.inc('gridagent_elections_won_total', { tier: event.tier });
        this.log.info('election won', event);
        return;
      case 'member':
        this.metrics.inc('gridagent_member_changes_total', { tier: event.tier, change: event.change });
        this.log.info('member changed', event);
        return;
      case 'dropped':
        this.metrics.inc('gridagent_dropped_total', { reason: event.reason.replace(/ /g, '_') });
        return;
      case 'handoverComplete':
        // This node stepped down to give its successor the last vote it needed: the successor wins
        // on that answer and announces itself (leaderChanged below), which is when it is safe to go.
        this.log.info('stepped down for the successor', event);
        return;
      case 'leaderChanged':
        if (event.tier === 'subgrid' && event.leader !== null && event.leader !== this.config.node && this.handoverWaiters.length > 0) {
          for (const waiter of this.handoverWaiters.splice(0)) waiter(event.leader);
        }
        this.log.info(event.type, event);
        return;
      case 'peerRegion':
        this.metrics.inc('gridagent_peer_region_changes_total', { change: event.change });
        this.log.info('peer region', event);
        return;
      case 'viewChanged':
        this.log.debug('view changed', { tier: event.tier, term: event.view.term, version: event.view.version, voters: event.view.voters.map((peer) => peer.name) });
        return;
      default:
        this.log.info(event.type, event);
    }
  }

  private defineMetrics(): void {
    const metrics = this.metrics;
    metrics.counter('gridagent_messages_sent_total', 'Protocol messages sent, by type and tier.');
    metrics.counter('gridagent_messages_received_total', 'Authenticated protocol messages received, by type and tier.');
    metrics.counter('gridagent_bytes_sent_total', 'Bytes sent, by transport.');
    metrics.counter('gridagent_bytes_received_total', 'Bytes of authenticated packets received, by transport.');
    metrics.counter('gridagent_dropped_total', 'Packets dropped: unauthenticated (badMac), malformed, oversized, replayed, unvalidated (no proof of being newer than this start), unchecked from an unknown source (macBudget: the MAC budget spent; sourceCoolingDown: the source failed the MAC repeatedly), received while the agent was starting (starting), and so on.');
    metrics.counter('gridagent_dropped_bytes_total', 'Bytes of dropped packets.');
    metrics.counter('gridagent_state_writes_total', 'Writes of the state file (term, vote, view), each fsynced before the messages that depend on it leave.');
    metrics.counter('gridagent_step_errors_total', 'Ticks, received messages and sends that threw (a bug, each logged at error level with its stack): the step ended, the agent ran on.');
    metrics.counter('gridagent_state_writes_slow_total', `State file writes that held the event loop ${SLOW_STATE_WRITE_MS} ms or more (a slow disk): each is also logged.`);
    metrics.counter('gridagent_elections_started_total', 'Elections started by this node, by tier and phase.');
    metrics.counter('gridagent_elections_won_total', 'Elections won by this node, by tier.');
    metrics.counter('gridagent_member_changes_total', 'Registry changes seen as super peer, by tier and change.');
    metrics.gauge('gridagent_is_super_peer', '1 when this node is its sub-grid super peer.', () => (this.left === null && this.core?.subgrid.isLeader() ? 1 : 0));
    metrics.gauge('gridagent_is_region_peer', '1 when this node is its region peer.', () => (this.left === null && this.core?.region.isLeader() ? 1 : 0));
    metrics.counter('gridagent_peer_region_changes_total', 'Other regions learned, replaced (new region peer) or expired, as region peer.');
    metrics.gauge('gridagent_peer_regions', 'Other regions whose region peer was heard from recently (region peer only).', () => this.core?.directory.list().filter((entry) => entry.liveness === 'alive').length ?? 0);
    metrics.gauge('gridagent_local_health_score', "Lifeguard's local health score: 0 on time; while above 0 every failure timeout is multiplied by 1 + score.", () => this.core?.health.healthScore ?? 0);
    metrics.sampledCounter('gridagent_late_ticks_total', 'Ticks that ran late (event loop or CPU starved); none of them started an election or suspected a peer.', () => this.core?.health.lateTicks ?? 0);
    metrics.gauge('gridagent_term', 'Current sub-grid term.', () => this.core?.subgrid.term ?? 0);
    metrics.gauge('gridagent_registry_members', 'Members in the registry this node holds (super peer or mirror).', () => this.core?.subgrid.registry.size ?? 0);
    metrics.info('gridagent_build_info', 'gridagent version and the Node.js running it; value 1.', { version: AGENT_VERSION, nodejs: process.version, node: this.config.node, region: this.config.region, subgrid: this.config.subgrid });
    defineProcessMetrics(metrics);
  }
}

function hashName(name: string): number {
  let value = 2166136261;
  for (let index = 0; index < name.length; index++) value = Math.imul(value ^ name.charCodeAt(index), 16777619);
  return value >>> 0;
}
