import { AgentConfigError, normaliseAgentConfig } from '../../src/agent/runtime/config.js';
import { resolveBindAddress } from '../../src/agent/runtime/bind-address.js';

const written = { node: 'n1', region: 'r1', subgrid: 's1', keyFile: '/etc/gridagent/grid.key', multicast: '239.192.10.1:7947' };
/** A resolver that knows a few names, as the node's own would. */
const resolver = (known: Record<string, string[]>) => async (name: string) => known[name] ?? [];

describe("the agent's bind address", () => {
  it('an IPv4 address is used as written, and nothing is looked up', async () => {
    const looked: string[] = [];
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: '10.0.0.1' }), async (name) => (looked.push(name), []));
    expect([config.bind, config.advertise]).toEqual(['10.0.0.1', '10.0.0.1:7946']);
    expect(looked).toEqual([]);
  });

  it("a DNS name (the node's address in the topology) is resolved to the node's IPv4 address, which it binds and advertises: IPv4 sockets and multicast membership need an address, not a name", async () => {
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), resolver({ 'n1.grid.test': ['10.0.0.1', '10.0.0.9'] }));
    expect([config.bind, config.advertise]).toEqual(['10.0.0.1', '10.0.0.1:7946']);
  });

  it('an advertise address written in the config is kept', async () => {
    const config = await resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test', advertise: '192.0.2.7:17946' }), resolver({ 'n1.grid.test': ['10.0.0.1'] }));
    expect([config.bind, config.advertise]).toEqual(['10.0.0.1', '192.0.2.7:17946']);
  });

  it('a name with no IPv4 address, or an IPv6 address, is a config error that says what to write', async () => {
    await expect(resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'n1.grid.test' }), resolver({}))).rejects.toThrow(new AgentConfigError('bind n1.grid.test has no IPv4 address on this node (gridagent speaks IPv4 only); write the node\'s IPv4 address as its address in the topology'));
    await expect(resolveBindAddress(normaliseAgentConfig({ ...written, bind: 'fd00::2' }), resolver({}))).rejects.toThrow(new AgentConfigError('bind fd00::2 is an IPv6 address, and gridagent speaks IPv4 only; write the node\'s IPv4 address as its address in the topology'));
  });
});
