/** How a failed send went out: a UDP datagram to one host, the multicast group, or a TCP registry copy. */
export type SendVia = 'udp' | 'multicast' | 'tcp';

/** At most one warning per error code and way of sending in this long: a send fails at every discovery round and heartbeat. */
const WARN_EVERY_MS = 60_000;

/**
 * Failed sends said in the log as warnings, at most once a minute per error code and way of sending
 * (the way apart: a multicast EPERM must not hide a unicast one), with how many failed since the
 * last warning. They were counted (gridagent_dropped_total{reason="sendFailed"}) and logged at debug
 * only, without the error: a firewall dropping multicast output (EPERM), an unreachable network, a
 * bound address gone, and the node sat in `searching` with nothing at the default level to say why.
 * The codes are the kernel's errno names, a few dozen at most, so the table stays small.
 */
export class SendFailureWarnings {
  private readonly last = new Map<string, { at: number; failedSince: number }>();

  constructor(
    private readonly warn: (msg: string, fields: Record<string, unknown>) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  failed(via: SendVia, code: string, target: string): void {
    const key = `${via}\0${code}`;
    const last = this.last.get(key);
    const now = this.now();
    if (last !== undefined && now - last.at < WARN_EVERY_MS) {
      last.failedSince++;
      return;
    }
    this.last.set(key, { at: now, failedSince: 0 });
    this.warn('a send failed: peers may not hear this node (one warning a minute per error)', {
      code,
      via,
      target,
      ...(last !== undefined && last.failedSince > 0 ? { failedSinceLastWarning: last.failedSince } : {}),
    });
  }
}
