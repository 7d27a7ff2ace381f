import { AgentConfigError, normaliseAgentConfig } from '../../src/agent/runtime/config.js';
import { nonLoopbackIPv4, resolveBindAddress, type BindResolution } from '../../src/agent/runtime/bind-address.js';

const written = { node: 'n1', region: 'r1', subgrid: 's1', keyFile: '/etc/gridagent/grid.key', multicast: '239.192.10.1:7947' };
/** A node whose resolver knows a few names and whose interfaces hold `local`, and no waiting between tries. */
const node = (known: Record<string, string[]>, local = ['10.0.0.1']): Partial<BindResolution> => ({
  resolve: async (name) => known[name] ?? [],
  localAddresses: () => local,
  sleep: async () => undefined,
  now: () => 0,
});
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
    await expect(resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), node({}))).rejects.toThrow(new AgentConfigError(`bind n1.grid.test has no IPv4 address on this node (gridagent speaks IPv4 only); ${fix}`));
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
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), { ...node({}), resolve, sleep: async (ms) => void pauses.push(ms) });
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
