import { checkTopologyText } from '../../src/topology/load.js';

const problemsOf = (text: string) => checkTopologyText('g.yaml', text).problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} (${p.hint})`);

/**
 * agent.httpAddress: a specific non-loopback address is one host's, so every other agent that
 * inherits it fails to bind. Loopback, a wildcard, or the node's own address only.
 */
const grid = (defaults: string, n2: string, n3 = '10.0.0.3') => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults: { agent: { ${defaults} } }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2${n2} }
          - { name: n3, address: ${n3} }
`;

describe('agent.httpAddress', () => {
  it('an address that is not the node\'s own is refused where it is written, once, naming the nodes', () => {
    expect(problemsOf(grid('httpAddress: 10.0.0.1', ''))).toEqual([
      expect.stringMatching(/^g\.yaml:4:35: agent\.httpAddress 10\.0\.0\.1 is not the address of n2 and n3, whose agents could not bind it .*\(use 127\.0\.0\.1 \(the default\), 0\.0\.0\.0 or :: for every address, or set it on each node to that node's own address/),
    ]);
  });

  it("any address on the node's own entry is that node's (a management NIC beside the SSH address): only one several nodes inherit is checked", () => {
    expect(problemsOf(grid('port: 7946', ', agent: { httpAddress: 10.0.0.9 }'))).toEqual([]);
    expect(problemsOf(grid('port: 7946', ', agent: { httpAddress: "192.168.50.2" }', '10.0.0.3, agent: { httpAddress: 192.168.50.3 }'))).toEqual([]);
    // n2's own address leaves n1 and n3 with the default they share, which cannot be both's.
    expect(problemsOf(grid('httpAddress: 192.168.50.9', ', agent: { httpAddress: 192.168.50.2 }'))).toEqual([expect.stringMatching(/^g\.yaml:4:35: agent\.httpAddress 192\.168\.50\.9 is not the address of n1 and n3,/)]);
  });

  it("on a node's own entry, another node's address (a copy-paste) is refused there: that node could not bind it", () => {
    expect(problemsOf(grid('port: 7946', ', agent: { httpAddress: 10.0.0.3 }'))).toEqual([
      expect.stringMatching(/^g\.yaml:11:66: agent\.httpAddress 10\.0\.0\.3 of n2 is the address of n3: n2's agent could not bind it and would not start \(use one of n2's own addresses/),
    ]);
  });

  it('loopback, a wildcard, or the node\'s own address (compared canonically) is fine', () => {
    for (const address of ['127.0.0.1', '127.0.0.53', '::1', '0.0.0.0', '::']) expect(problemsOf(grid(`httpAddress: "${address}"`, ''))).toEqual([]);
    expect(problemsOf(grid('port: 7946', ', agent: { httpAddress: 10.0.0.2 }'))).toEqual([]);
    expect(problemsOf(grid('port: 7946', ', agent: { httpAddress: "fd00::2" }').replace('10.0.0.2, agent', '"fd00:0:0::2", agent'))).toEqual([]);
  });

  it('a node named by DNS may set its own address, which cannot be compared; shared by several, never', () => {
    expect(problemsOf(grid('port: 7946', ', agent: { httpAddress: 10.0.0.3 }', 'n3.example.org').replace('address: 10.0.0.2, agent: { httpAddress: 10.0.0.3 }', 'address: 10.0.0.2').replace('address: n3.example.org', 'address: n3.example.org, agent: { httpAddress: 10.0.0.3 }'))).toEqual([]);
    expect(problemsOf(grid('httpAddress: 10.0.0.3', '', 'n3.example.org'))).toEqual([expect.stringMatching(/is not the address of n1, n2 and n3,/)]);
  });
});
