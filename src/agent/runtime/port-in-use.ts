import { splitHostPort } from './host-port.js';

/**
 * The exit of a start whose port is taken (sysexits' EX_TEMPFAIL): systemd starts the agent again
 * (Restart=always), every 2 s or so (failed-start-hold.ts), so a port still held at boot is retried.
 */
export const PORT_IN_USE_EXIT_CODE = 75;

/**
 * A socket of the agent (its UDP and TCP port, its multicast listener, its HTTP endpoint) could not bind: the port is in use.
 * Usually another gridagent: the start binds before it writes anything (daemon.ts), so a stray
 * second start fails here having changed neither the running agent's leave token nor its state file.
 * main.ts says it in one line, without the stack.
 */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';

  /** `address`: the one whose bind failed (bind-retry.ts takes it from the error). */
  constructor(address: string) {
    const [, port] = splitHostPort(address);
    super(`cannot bind ${address}: the port is in use (EADDRINUSE): is another gridagent running on this node (systemctl status gridagent; ss -lntup | grep :${port})? Stop it, or give this agent another port`);
  }
}
