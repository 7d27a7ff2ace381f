import { AgentConfigError, normaliseAgentConfig } from '../../src/agent/runtime/config.js';
import { nonLoopbackIPv4, resolveBindAddress, type BindResolution } from '../../src/agent/runtime/bind-address.js';

const written = { node: 'n1', region: 'r1', subgrid: 's1', keyFile: '/etc/gridagent/grid.key', multicast: '239.192.10.1:7947' };
/** A node whose resolver knows a few names and whose interfaces hold `local`, with a clock that only its pauses move. */
const node = (known: Record<string, string[]>, local = ['10.0.0.1']): Partial<BindResolution> => {
  let clock = 0;
  return { resolve: async (name) => known[name] ?? [], localAddresses: () => local, sleep: async (ms) => void (clock += ms), now: () => clock };
};
const fix = "write the node's IPv4 address as its address in the topology";

describe("the agent's bind address", () => {
  it('an IPv4 address is used as written, and nothing is looked up', async () => {
    const looked: string[] = [];
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: '10.0.0.1' }), { resolve: async (name) => (looked.push(name), []) });
    expect([config.bind, config.advertise]).toEqual(['10.0.0.1', '10.0.0.1:7946']);
    expect(looked).toEqual([]);
  });

  it("a DNS name (the node's address in the topology) is resolved to the node's IPv4 address, which it binds and advertises: IPv4 sockets and multicast membership need an address, not a name", async () => {
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), node({ 'n1.grid.test': ['10.0.0.1', '10.0.0.9'] }));
    expect([config.bind, config.advertise]).toEqual(['10.0.0.1', '10.0.0.1:7946']);
  });

  it("takes the name's first address that is one of this host's own, not /etc/hosts' 127.0.1.1 nor another host's", async () => {
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), node({ 'n1.grid.test': ['127.0.1.1', '10.0.0.9', '10.0.0.2'] }, ['10.0.0.2']));
    expect([config.bind, config.advertise]).toEqual(['10.0.0.2', '10.0.0.2:7946']);
  });

  it("refuses a name none of whose addresses is this host's (only /etc/hosts' loopback one, say), saying what it found", async () => {
    await expect(resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), node({ 'n1.grid.test': ['127.0.1.1'] }, ['10.0.0.2']))).rejects.toThrow(
      new AgentConfigError(`bind n1.grid.test resolves on this node to 127.0.1.1, none of them an address of its interfaces (10.0.0.2); ${fix}, or make the name resolve to it here (check /etc/hosts)`),
    );
  });

  it('an advertise address written in the config is kept', async () => {
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test', advertise: '192.0.2.7:17946' }), node({ 'n1.grid.test': ['10.0.0.1'] }));
    expect([config.bind, config.advertise]).toEqual(['10.0.0.1', '192.0.2.7:17946']);
  });

  it('a name with no IPv4 address, or an IPv6 address, is a config error that says what to write', async () => {
    await expect(resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), node({}))).rejects.toThrow(new AgentConfigError(`bind n1.grid.test has no IPv4 address on this node, still after 30 s (gridagent speaks IPv4 only); ${fix}`));
    expect(() => normaliseAgentConfig({ ...written, bind: 'fd00::2' })).toThrow(/bind fd00::2 is an IPv6 address, and gridagent speaks IPv4 only/);
  });

  it("refuses '::' in the config at once, not after asking for an advertise address it would then refuse", () => {
    expect(() => normaliseAgentConfig({ ...written, bind: '::' })).toThrow(/bind :: is an IPv6 address/);
    expect(() => normaliseAgentConfig({ ...written, bind: '::', advertise: '10.0.0.1:7946' })).toThrow(/bind :: is an IPv6 address/);
    expect(normaliseAgentConfig({ ...written, bind: '0.0.0.0', advertise: '10.0.0.1:7946' }).bind).toBe('0.0.0.0');
  });

  it('asks a resolver that cannot answer again (DNS not up yet at boot), with growing pauses, rather than fail the start at once', async () => {
    const pauses: number[] = [];
    let calls = 0;
    const resolve = async () => {
      if (++calls < 4) throw Object.assign(new Error('getaddrinfo EAI_AGAIN n1.grid.test'), { code: 'EAI_AGAIN' });
      return ['10.0.0.1'];
    };
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), { ...node({}), resolve, sleep: async (ms) => void pauses.push(ms), now: () => 0 });
    expect(config.bind).toBe('10.0.0.1');
    expect(pauses).toEqual([250, 500, 1000]);
  });

  it('gives up on a resolver that never answers after retryForMs, counting the time its lookups took, and naming the cause', async () => {
    // Each lookup takes glibc's 10 s of timeouts before EAI_AGAIN: the 30 s bound is 3 lookups, not 30 s of pauses.
    let clock = 0;
    const pauses: number[] = [];
    const resolve = async () => {
      clock += 10_000;
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN n1.grid.test'), { code: 'EAI_AGAIN' });
    };
    const sleep = async (ms: number) => void (pauses.push(ms), (clock += ms));
    const run = resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), { ...node({}), resolve, sleep, now: () => clock, retryForMs: 30_000 });
    await expect(run).rejects.toThrow(/^bind n1\.grid\.test: the resolver did not answer for 31 s \(getaddrinfo EAI_AGAIN n1\.grid\.test\); check the node's DNS/);
    expect(pauses).toEqual([250, 500]);
  });

  it("counts the node's own /32 on lo as its address (routed fabrics put it there), but not 127.0.0.0/8 nor IPv6", () => {
    const entry = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) => ({ address, family, internal, netmask: '', mac: '', cidr: null }) as never;
    expect(nonLoopbackIPv4({ lo: [entry('127.0.0.1', 'IPv4', true), entry('10.9.0.1', 'IPv4', true), entry('::1', 'IPv6', true)], eth0: [entry('192.0.2.5', 'IPv4', false)] })).toEqual(['10.9.0.1', '192.0.2.5']);
  });
});

/**
 * Review of the 30 s wait at start (bind-retry.ts): a node address written as a DNS name was not
 * covered. A name not in DNS yet at boot (a record DHCP registers, a search domain DHCP brings)
 * failed with "no IPv4 address" at once, and one that resolved before its address was on an
 * interface failed with "none of them an address of its interfaces" at once: exit 78, and at
 * RestartSec=100ms systemd's start limit gave up on the unit within a second.
 */
describe("the agent's bind name while the node's network comes up", () => {
  const notFound = () => Object.assign(new Error('getaddrinfo ENOTFOUND n1.grid.test'), { code: 'ENOTFOUND' });
  /** A clock that the pauses move, and the log lines the wait wrote. */
  const waiting = (startedAt = 0) => {
    let clock = 0;
    const logged: string[] = [];
    return { logged, clock: () => clock, using: { sleep: async (ms: number) => void (clock += ms), now: () => clock, startedAt, onWait: (line: string) => void logged.push(line) } };
  };

  it('asks again for a name the resolver does not know yet (ENOTFOUND), and binds it once it resolves, with one log line that says what it waits for', async () => {
    const wait = waiting();
    let calls = 0;
    const resolve = async () => {
      if (++calls < 4) throw notFound();
      return ['10.0.0.1'];
    };
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), { ...node({}), resolve, ...wait.using });
    expect([config.bind, config.advertise]).toEqual(['10.0.0.1', '10.0.0.1:7946']);
    expect(wait.logged).toEqual(['waiting up to 30 s for n1.grid.test to resolve on this node (getaddrinfo ENOTFOUND n1.grid.test)']);
  });

  it('waits for the address a name resolves to until it is on an interface of this node, with one log line', async () => {
    const wait = waiting();
    const up = [[], ['10.0.0.2'], ['10.0.0.2'], ['10.0.0.2', '10.0.0.1']];
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), {
      ...node({ 'n1.grid.test': ['10.0.0.1'] }),
      localAddresses: () => (up.length > 1 ? up.shift()! : up[0]!),
      ...wait.using,
    });
    expect(config.bind).toBe('10.0.0.1');
    expect(wait.clock()).toBe(250 + 500 + 1000);
    expect(wait.logged).toEqual(['waiting up to 30 s for 10.0.0.1 (n1.grid.test) to come up on an interface of this node']);
  });

  it('after the window, fails naming the name and the error: a name that never resolves', async () => {
    const wait = waiting();
    const run = resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), { ...node({}), resolve: async () => { throw notFound(); }, ...wait.using });
    await expect(run).rejects.toThrow(
      new AgentConfigError(`bind n1.grid.test did not resolve on this node, still after 30 s (getaddrinfo ENOTFOUND n1.grid.test); check the node's DNS and /etc/hosts, or ${fix}`),
    );
    expect(wait.clock()).toBe(30_000);
  });

  it('after the window, fails naming the name and the addresses: a name whose address never comes up', async () => {
    const wait = waiting();
    const run = resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), { ...node({ 'n1.grid.test': ['10.0.0.1'] }, ['10.0.0.2']), ...wait.using });
    await expect(run).rejects.toThrow(
      new AgentConfigError(`bind n1.grid.test resolves on this node to 10.0.0.1, none of them an address of its interfaces (10.0.0.2), still after 30 s; ${fix}, or make the name resolve to it here (check /etc/hosts)`),
    );
    expect(wait.clock()).toBe(30_000);
  });

  it('counts its wait from the start it is given, so the name and then the bind share one 30 s window', async () => {
    const wait = waiting(-25_000);
    const run = resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), { ...node({}), resolve: async () => { throw notFound(); }, ...wait.using });
    await expect(run).rejects.toThrow(/still after 30 s/);
    expect(wait.clock()).toBe(5_000);
  });
});
