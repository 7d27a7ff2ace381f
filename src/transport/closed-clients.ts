import type { Client as SshClient } from 'ssh2';

/** Clients whose connection has closed (ended by us, the server or the network): nothing left to end (endClient), and not open (SshTransport.isOpen). */
export const closedClients = new WeakSet<SshClient>();

/**
 * Ends a client's connection and waits for its close, 2 s at most. One that closed already (a
 * host or jump host that dropped mid-run) returns at once: its 'close' came and went, and waiting
 * for another would hold the run's end for the whole bound.
 */
export function endClient(client: SshClient): Promise<void> {
  if (closedClients.has(client)) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 2000);
    client.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    client.end();
  });
}
