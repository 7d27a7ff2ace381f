import { setTimeout as delay } from 'node:timers/promises';
import { AgentConfigError } from './config.js';
import { PortInUseError } from './port-in-use.js';

/** How the start waits for the node's address: a pause between tries, a clock, the bound, and who hears of each retry. */
export interface AddressWait {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  retryForMs: number;
  /**
   * When the wait began, on `now`'s clock (default: this call): the start gives it the moment it
   * began resolving a bind name, so the name and then the bind share one window, not two.
   */
  startedAt?: number;
  onRetry: (error: NodeJS.ErrnoException, waitedMs: number) => void;
}

/**
 * What a bind says while the node's network is still coming up: the address is on no interface yet
 * (EADDRNOTAVAIL), or no interface can take the multicast membership yet (ENODEV). Anything else (a
 * port in use, a permission) is not waited for.
 */
const NOT_UP_YET: Record<string, string> = {
  EADDRNOTAVAIL: 'the address is not on any interface of this node',
  ENODEV: 'no interface of this node takes its multicast group',
};

/**
 * The one window in which a start waits for its address, a bind name's resolution included
 * (bind-address.ts). Restarting instead would bind again only every 2 s (failed-start-hold.ts), each
 * time with a failed start in the log; a wait here binds as soon as the address is up.
 */
export const ADDRESS_WAIT_MS = 30_000;

const SYSTEM: AddressWait = { sleep: (ms) => delay(ms), now: () => performance.now(), retryForMs: ADDRESS_WAIT_MS, onRetry: () => undefined };

/**
 * Runs `start` (which opens the agent's sockets on `address`, and releases what it opened when it
 * fails) until it succeeds, trying again with a growing pause while the node's address or its
 * multicast interface is not up yet: at boot, DHCP, a VLAN or a bond may bring it a little after
 * the agent starts. After `retryForMs` the start fails as a configuration problem (exit 78); a port
 * in use fails it at once (PortInUseError, exit 75).
 */
export async function startWhenAddressIsUp<T>(address: string, start: () => Promise<T>, using: Partial<AddressWait> = {}): Promise<T> {
  const how = { ...SYSTEM, ...using };
  const started = how.startedAt ?? how.now();
  for (let pause = 250; ; pause = Math.min(pause * 2, 4000)) {
    try {
      return await start();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      // Not waited for: the port's holder (most often the agent already running) does not go away by itself.
      if (code === 'EADDRINUSE') throw new PortInUseError(failedAddress(error as NodeJS.ErrnoException & { address?: unknown; port?: unknown }) ?? address);
      const why = NOT_UP_YET[code];
      if (why === undefined) throw error;
      const waited = how.now() - started;
      if (waited >= how.retryForMs) {
        throw new AgentConfigError(`cannot bind ${address}: ${why} (${code}), still after ${Math.round(waited / 1000)} s; check that the node's network brings it up, or write the node's own IPv4 address as its address in the topology`);
      }
      how.onRetry(error as NodeJS.ErrnoException, waited);
      await how.sleep(Math.min(pause, how.retryForMs - waited));
    }
  }
}

/**
 * The address:port whose bind failed, as Node's bind and listen errors carry it: one start binds
 * several sockets (the agent's port, the multicast listener's), and a port in use must be named as
 * the one taken, not the agent's own.
 */
function failedAddress(error: { address?: unknown; port?: unknown }): string | undefined {
  return typeof error.address === 'string' && typeof error.port === 'number' ? `${error.address}:${error.port}` : undefined;
}
