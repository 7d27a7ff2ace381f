import type { KeyObject } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import type { Message, Packet, PacketHeader } from '../core/types.js';
import { DEFAULT_INTAKE_LIMITS, TcpIntake, type IntakeDrop, type IntakeLimits } from './tcp-intake.js';
import { decodePacket, encodePacket, macKey, MAX_DATAGRAM_BYTES, MAX_FRAME_BYTES, type DropReason } from '../core/wire.js';
import { DatagramIntake, DEFAULT_DATAGRAM_LIMITS, type DatagramDrop, type DatagramLimits } from './datagram-intake.js';
import { splitHostPort } from './host-port.js';
import { SendFailureWarnings } from './send-failure-warnings.js';

/** Callbacks from the transport into the daemon. */
export interface TransportEvents {
  /** An authenticated, well-formed packet (the core checks it for replays). `fromAddr` is host:port for UDP, undefined for TCP. */
  packet(packet: Packet, fromAddr: string | undefined, bytes: number, via: 'udp' | 'tcp'): void;
  dropped(reason: DropReason | IntakeDrop | DatagramDrop | 'sendFailed', bytes: number): void;
  sent(message: Message, bytes: number, via: 'udp' | 'tcp' | 'multicast'): void;
}

export interface TransportOptions {
  bind: string;
  port: number;
  multicast: { group: string; port: number } | null;
  key: Buffer;
  /** Bounds on inbound TCP (defaults: DEFAULT_INTAKE_LIMITS). */
  intake?: Partial<IntakeLimits>;
  /** Bounds on the MAC checks inbound UDP from unknown sources may cost (defaults: DEFAULT_DATAGRAM_LIMITS). */
  datagrams?: Partial<DatagramLimits>;
  /** The log's warn, for failed sends (send-failure-warnings.ts; none by default). */
  warn?: (msg: string, fields: Record<string, unknown>) => void;
}

/**
 * UDP for heartbeats and discovery (unicast socket on bind:port, plus a multicast listener),
 * TCP on the same port for registry copies. Every packet is HMAC-authenticated before the core
 * sees it (the core stamps the headers and checks them for replays); nothing a peer sends can
 * throw here.
 */
export class AgentTransport {
  private readonly unicast: Socket;
  private multicastSocket: Socket | null = null;
  private tcp: Server | null = null;
  /** Inbound TCP, with what unauthenticated input may cost bounded (connections, bytes, time). */
  readonly intake: TcpIntake;
  /** Inbound UDP, with the MAC checks that datagrams from unknown sources may cost bounded. */
  readonly datagrams: DatagramIntake;
  /** The grid key imported once: a packet's MAC then costs no key import. */
  private readonly key: KeyObject;
  /** Failed sends, said in the log at most once a minute per error code and way of sending. */
  private readonly sendFailures: SendFailureWarnings;

  constructor(
    private readonly options: TransportOptions,
    private readonly events: TransportEvents,
  ) {
    this.unicast = createSocket({ type: 'udp4', reuseAddr: false });
    this.key = macKey(options.key);
    this.sendFailures = new SendFailureWarnings(options.warn ?? (() => undefined));
    this.intake = new TcpIntake(
      { ...DEFAULT_INTAKE_LIMITS, maxFrameBytes: MAX_FRAME_BYTES, ...options.intake },
      (frame) => this.receiveFrame(frame),
      (reason, bytes) => this.events.dropped(reason, bytes),
    );
    this.datagrams = new DatagramIntake(
      { ...DEFAULT_DATAGRAM_LIMITS, ...options.datagrams },
      (packet) => decodePacket(packet, this.key, MAX_DATAGRAM_BYTES),
      (packet, fromAddr, bytes) => this.events.packet(packet, fromAddr, bytes, 'udp'),
      (reason, bytes) => this.events.dropped(reason, bytes),
    );
  }

  /**
   * Opens the sockets; when one fails, closes those already open before the error goes on: a start
   * tried again while the node's address comes up (bind-retry.ts) would find its own UDP port in use.
   */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  private async open(): Promise<void> {
    const { bind, port, multicast } = this.options;
    this.unicast.on('message', (packet, rinfo) => this.receiveDatagram(packet, rinfo.address, rinfo.port));
    this.unicast.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.unicast.once('error', reject);
      this.unicast.bind(port, bind, () => {
        this.unicast.off('error', reject);
        resolve();
      });
    });
    if (multicast !== null) {
      this.unicast.setMulticastTTL(1);
      this.unicast.setMulticastLoopback(false);
      try {
        this.unicast.setMulticastInterface(bind);
      } catch {
        // A wildcard bind has no interface to pin; the routing table decides.
      }
      const listener = createSocket({ type: 'udp4', reuseAddr: true });
      this.multicastSocket = listener;
      listener.on('message', (packet, rinfo) => this.receiveDatagram(packet, rinfo.address, rinfo.port));
      listener.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.bind(multicast.port, () => {
          listener.off('error', reject);
          resolve();
        });
      });
      const wildcard = bind === '0.0.0.0';
      listener.addMembership(multicast.group, wildcard ? undefined : bind);
    }
    this.tcp = createServer((socket) => this.intake.accept(socket));
    this.tcp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.tcp!.once('error', reject);
      this.tcp!.listen(port, bind, () => resolve());
    });
  }

  /** Sends to host:port over UDP, or over TCP when `bulk` (registry copies). */
  send(message: Message, header: PacketHeader, target: string, bulk: boolean): void {
    const packet = encodePacket(message, header, this.key);
    const [host, portText] = splitHostPort(target);
    const port = Number(portText);
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) {
      // A peer's advertised address without a usable port (its config predates the check, config.ts).
      this.events.dropped('sendFailed', packet.length);
      this.sendFailures.failed(bulk ? 'tcp' : 'udp', 'notHostPort', target);
      return;
    }
    if (bulk || packet.length > MAX_DATAGRAM_BYTES) {
      const frame = Buffer.alloc(4 + packet.length);
      frame.writeUInt32BE(packet.length, 0);
      packet.copy(frame, 4);
      const socket = connect({ host, port, localAddress: this.options.bind === '0.0.0.0' ? undefined : this.options.bind });
      socket.setTimeout(5_000, () => socket.destroy());
      socket.on('error', (error: NodeJS.ErrnoException) => {
        this.events.dropped('sendFailed', frame.length);
        this.sendFailures.failed('tcp', error.code ?? error.message, target);
      });
      socket.end(frame);
      this.events.sent(message, frame.length, 'tcp');
      return;
    }
    try {
      this.unicast.send(packet, port, host, (error) => {
        if (error) this.sendFailed(error, 'udp', target, packet.length);
      });
    } catch {
      // A send that an answered lookup makes after the socket closed (leaving: quiesce) throws
      // synchronously; from a promise's callback that would end the agent as an unhandled rejection.
      // Not warned about: it happens only as the agent stops.
      this.events.dropped('sendFailed', packet.length);
      return;
    }
    this.events.sent(message, packet.length, 'udp');
  }

  sendMulticast(message: Message, header: PacketHeader): void {
    const multicast = this.options.multicast;
    if (multicast === null) return;
    const packet = encodePacket(message, header, this.key);
    this.unicast.send(packet, multicast.port, multicast.group, (error) => {
      if (error) this.sendFailed(error, 'multicast', `${multicast.group}:${multicast.port}`, packet.length);
    });
    this.events.sent(message, packet.length, 'multicast');
  }

  /** A datagram the kernel refused: counted, and warned about at most once a minute per error code. */
  private sendFailed(error: NodeJS.ErrnoException, via: 'udp' | 'multicast', target: string, bytes: number): void {
    this.events.dropped('sendFailed', bytes);
    this.sendFailures.failed(via, error.code ?? error.message, target);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.unicast.close(() => resolve()));
    if (this.multicastSocket) await new Promise<void>((resolve) => this.multicastSocket!.close(() => resolve()));
    if (this.tcp) await new Promise<void>((resolve) => this.tcp!.close(() => resolve()));
  }

  /** Addresses (host part) of the peers the core knows: their datagrams are checked without limit (datagram-intake.ts). */
  setKnownPeers(hosts: Iterable<string>): void {
    this.datagrams.setKnownPeers(hosts);
  }

  private receiveDatagram(packet: Buffer, address: string, port: number): void {
    try {
      this.datagrams.receive(packet, address, port);
    } catch {
      // Defence in depth: a bug in handling one packet must not take the agent down.
      this.events.dropped('malformed', packet.length);
    }
  }

  /** A TCP frame: its connection's cost is bounded by the TCP intake, so its MAC is checked as it comes. */
  private receiveFrame(frame: Buffer): void {
    try {
      const decoded = decodePacket(frame, this.key, MAX_FRAME_BYTES);
      if (!decoded.ok) {
        this.events.dropped(decoded.reason, frame.length);
        return;
      }
      this.events.packet({ header: decoded.header, message: decoded.message }, undefined, frame.length, 'tcp');
    } catch {
      this.events.dropped('malformed', frame.length);
    }
  }
}
