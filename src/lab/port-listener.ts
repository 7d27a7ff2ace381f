import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A listening TCP socket of the machine's network namespace. */
export interface Listener {
  /** Bound to every address (0.0.0.0 or ::), so it takes connections to the lab bridge too. */
  wildcard: boolean;
  inode: number;
}

const LISTEN = '0A';

/** The LISTEN sockets on `port` in /proc/net/tcp and tcp6 tables (their text). Pure. */
export function listenersOn(port: number, tables: readonly string[]): Listener[] {
  const out: Listener[] = [];
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN) continue;
      const [address, portHex] = f[1]!.split(':');
      if (parseInt(portHex!, 16) !== port) continue;
      out.push({ wildcard: /^0+$/.test(address!), inode: Number(f[9]) });
    }
  }
  return out;
}

function machineListeners(port: number): Listener[] {
  const tables: string[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      tables.push(readFileSync(f, 'utf8'));
    } catch {
      /* no IPv6 */
    }
  }
  return listenersOn(port, tables);
}

/** Inodes of the sockets `pid` holds open. */
function socketInodes(pid: number): Set<number> {
  const out = new Set<number>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(Number(m[1]));
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    /* gone, or not ours to read */
  }
  return out;
}

/**
 * Whether `pid` itself holds a socket listening on `port`. That the port answers says nothing of
 * who answers: a lab proxy that could not bind exits, while another apt-cacher-ng on every
 * address (Debian's service, enabled by the package) answers in its place.
 */
export function pidListensOn(pid: number, port: number): boolean {
  const mine = socketInodes(pid);
  return machineListeners(port).some((l) => mine.has(l.inode));
}

/** Whether something listens on `port` on every address of the machine. */
export function wildcardListenerOn(port: number): boolean {
  return machineListeners(port).some((l) => l.wildcard);
}
