import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { AgentConfigError } from '../../src/agent/runtime/config.js';
import { startWhenAddressIsUp, type AddressWait } from '../../src/agent/runtime/bind-retry.js';
import { PortInUseError } from '../../src/agent/runtime/port-in-use.js';
import { AgentTransport } from '../../src/agent/runtime/transport.js';

const failure = (code: string) => Object.assign(new Error(`bind ${code} 10.0.0.1:7946`), { code });

/** A clock that the pauses move, and the pauses and retries seen. */
function waits(retryForMs = 30_000): Partial<AddressWait> & { pauses: number[]; retried: string[] } {
  let clock = 0;
  const pauses: number[] = [];
  const retried: string[] = [];
  return { pauses, retried, now: () => clock, sleep: async (ms) => void (pauses.push(ms), (clock += ms)), retryForMs, onRetry: (error) => void retried.push(error.code ?? '') };
}

/**
 * Review finding 4: a literal node address not yet on an interface at boot (DHCP, a VLAN, a bond)
 * failed the bind with EADDRNOTAVAIL, the agent exited, and at RestartSec=100ms systemd's start
 * limit (5 starts in 10 s) gave up on the unit within a second, until someone acted. The agent now
 * waits for the address itself, as long as it waits for a resolver at boot (30 s).
 */
describe("the agent's start while its address is not up yet", () => {
  it('binds again after EADDRNOTAVAIL (and ENODEV, no interface for multicast yet), with growing pauses, and starts', async () => {
    const how = waits();
    const codes = ['EADDRNOTAVAIL', 'ENODEV'];
    let attempts = 0;
    const started = await startWhenAddressIsUp('10.0.0.1:7946', async () => {
      attempts++;
      const code = codes.shift();
      if (code) throw failure(code);
      return 'transport';
    }, how);
    expect(started).toBe('transport');
    expect(attempts).toBe(3);
    expect(how.pauses).toEqual([250, 500]);
    expect(how.retried).toEqual(['EADDRNOTAVAIL', 'ENODEV']);
  });

  it('gives up after retryForMs with a sentence that names the address and what to check', async () => {
    const how = waits(30_000);
    const run = startWhenAddressIsUp('10.0.0.1:7946', async () => { throw failure('EADDRNOTAVAIL'); }, how);
    await expect(run).rejects.toThrow(AgentConfigError);
    await expect(startWhenAddressIsUp('10.0.0.1:7946', async () => { throw failure('EADDRNOTAVAIL'); }, waits(30_000))).rejects.toThrow(
      /^cannot bind 10\.0\.0\.1:7946: the address is not on any interface of this node \(EADDRNOTAVAIL\), still after 30 s; check that the node's network brings it up, or write the node's own IPv4 address as its address in the topology$/,
    );
    expect(how.pauses.reduce((a, b) => a + b, 0)).toBe(30_000);
    expect(Math.max(...how.pauses)).toBeLessThanOrEqual(4000);
  });

  it('counts its wait from the start it is given: after a bind name took 25 s to resolve, the bind has the 5 s left of the one 30 s window', async () => {
    const how = { ...waits(30_000), startedAt: -25_000 };
    await expect(startWhenAddressIsUp('10.0.0.1:7946', async () => { throw failure('EADDRNOTAVAIL'); }, how)).rejects.toThrow(/still after 30 s/);
    expect(how.pauses.reduce((a, b) => a + b, 0)).toBe(5_000);
  });

  it('fails at once on any other error: a port in use is not waited for', async () => {
    const how = waits();
    await expect(startWhenAddressIsUp('10.0.0.1:7946', async () => { throw failure('EADDRINUSE'); }, how)).rejects.toThrow(/EADDRINUSE/);
    expect(how.pauses).toEqual([]);
  });

  it('says of a port in use, in one line and without a stack, that another gridagent may hold it (a stray second start)', async () => {
    const thrown = await startWhenAddressIsUp('10.0.0.1:7946', async () => { throw failure('EADDRINUSE'); }, waits()).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(PortInUseError);
    expect((thrown as Error).message).toBe(
      'cannot bind 10.0.0.1:7946: the port is in use (EADDRINUSE): is another gridagent running on this node (systemctl status gridagent; ss -lntup | grep :7946)? Stop it, or give this agent another port',
    );
  });

  it("names the address whose bind failed: the multicast listener's port in use is not said to be the agent's own port", async () => {
    // A socket without SO_REUSEADDR on the multicast port: the listener (which sets it) cannot share it.
    const holder = createSocket({ type: 'udp4', reuseAddr: false });
    await new Promise<void>((resolve) => holder.bind(0, '0.0.0.0', () => resolve()));
    const multicastPort = holder.address().port;
    const own = createSocket('udp4');
    await new Promise<void>((resolve) => own.bind(0, '127.0.0.1', () => resolve()));
    const port = own.address().port;
    await new Promise<void>((resolve) => own.close(() => resolve()));
    const events = { packet: () => undefined, dropped: () => undefined, sent: () => undefined };
    const thrown = await startWhenAddressIsUp(
      `127.0.0.1:${port}`,
      async () => {
        const transport = new AgentTransport({ bind: '127.0.0.1', port, multicast: { group: '239.255.42.99', port: multicastPort }, key: Buffer.alloc(32, 1) }, events);
        await transport.start();
        return transport;
      },
      waits(),
    ).catch((error: unknown) => error);
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    expect(thrown).toBeInstanceOf(PortInUseError);
    expect((thrown as Error).message).toMatch(new RegExp(`^cannot bind 0\\.0\\.0\\.0:${multicastPort}: the port is in use \\(EADDRINUSE\\).*grep :${multicastPort}\\)`));
  });

  it('with the real transport: an address this host does not have fails with EADDRNOTAVAIL, what was opened is released, and the start succeeds once it binds', async () => {
    const how = waits();
    const binds = ['192.0.2.1', '192.0.2.1', '127.0.0.1'];
    const events = { packet: () => undefined, dropped: () => undefined, sent: () => undefined };
    const transport = await startWhenAddressIsUp('the node address', async () => {
      const attempt = new AgentTransport({ bind: binds.shift()!, port: 0, multicast: null, key: Buffer.alloc(32, 1) }, events);
      await attempt.start();
      return attempt;
    }, how);
    expect(how.retried).toEqual(['EADDRNOTAVAIL', 'EADDRNOTAVAIL']);
    await transport.close();
  });

  it('a start that fails after its UDP socket is bound releases that port, or the next try would find it in use (EADDRINUSE) and give up', async () => {
    // TCP taken on a port, UDP free: the transport binds UDP, then fails to listen on TCP.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const transport = new AgentTransport({ bind: '127.0.0.1', port, multicast: null, key: Buffer.alloc(32, 1) }, { packet: () => undefined, dropped: () => undefined, sent: () => undefined });
    await expect(transport.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const again = createSocket({ type: 'udp4', reuseAddr: false });
    await expect(new Promise<void>((resolve, reject) => (again.once('error', reject), again.bind(port, '127.0.0.1', () => resolve())))).resolves.toBeUndefined();
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });
});
