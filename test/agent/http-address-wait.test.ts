import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentConfigError, loadAgentConfig } from '../../src/agent/runtime/config.js';
import { AgentDaemon } from '../../src/agent/runtime/daemon.js';
import { leaveMarkerPath } from '../../src/agent/runtime/leave-marker.js';
import { freePort } from '../transport/sshd-harness.js';

/**
 * The HTTP endpoint waits for its address as the agent's sockets do (bind-retry.ts): an httpAddress
 * that came up after the agent failed the start at once with EADDRNOTAVAIL (session 44's review),
 * and the restarts that followed could not wait for it. Here the wait's window is already over, so
 * the start ends as the sockets' wait ends: a configuration error naming the HTTP address.
 * An idle agent (one that left) starts its HTTP endpoint alone, so nothing else is left open.
 */
test('an HTTP address that is not up is waited for, then refused as a configuration error naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridagent-http-wait-'));
  try {
    const key = join(dir, 'grid.key');
    writeFileSync(key, 'http-wait-test-key-0123456789', { mode: 0o600 });
    mkdirSync(join(dir, 'state'));
    const stateFile = join(dir, 'state', 'n1.state.json');
    writeFileSync(leaveMarkerPath(stateFile), '');
    const httpPort = await freePort();
    const file = join(dir, 'n1.json');
    // 192.0.2.1 (TEST-NET-1) is on no interface of the test host.
    writeFileSync(file, JSON.stringify({ node: 'n1', region: 'r', subgrid: 's', bind: '127.0.0.1', port: await freePort(), seeds: [], keyFile: key, stateFile, http: { bind: '192.0.2.1', port: httpPort } }));
    const start = new AgentDaemon(loadAgentConfig(file)).start({ startedAt: performance.now() - 60_000 });
    await expect(start).rejects.toThrow(AgentConfigError);
    await expect(start).rejects.toThrow(`cannot bind 192.0.2.1:${httpPort}: the address is not on any interface of this node (EADDRNOTAVAIL)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
