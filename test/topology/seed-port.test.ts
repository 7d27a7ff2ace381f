import { checkTopologyText } from '../../src/topology/load.js';

/**
 * Every agent of a grid listens on its one agent.port: a seed at another port is most likely a
 * slip that no agent answers. A warning at the seed (it may be an agent outside the file), not a refusal.
 */
const topology = (seeds: string, agent = '') => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults: { ssh: { port: 22 }${agent} }
regions:
  - name: r1
    subgrids:
      - name: s1
        discovery: { seeds: [${seeds}] }
        nodes:
          - { name: n1, address: 192.0.2.1 }
          - { name: n2, address: 192.0.2.2 }
          - { name: n3, address: 192.0.2.3 }
`;
const warningsOf = (text: string) => {
  const check = checkTopologyText('g.yaml', text);
  expect(check.problems).toEqual([]);
  return check.warnings.map((w) => `${w.line}:${w.column}: ${w.message} (hint: ${w.hint})`);
};

describe("a seed at another port than the grid's agent.port", () => {
  it('is a warning at the seed, with the address at the agent port to write', () => {
    expect(warningsOf(topology('"192.0.2.9:9999", "10.0.0.1:7946", "node:07946"'))).toEqual([
      `9:30: seed "192.0.2.9:9999" is not at the grid's agent.port 7946, where every agent of the grid listens (hint: write it as 192.0.2.9:7946, unless that host runs an agent outside this grid on port 9999)`,
    ]);
  });

  it('compares with the agent.port the topology sets', () => {
    expect(warningsOf(topology('"10.0.0.1:7000"', ', agent: { port: 7000 }'))).toEqual([]);
    expect(warningsOf(topology('"10.0.0.1:7946"', ', agent: { port: 7000 }'))).toHaveLength(1);
  });
});
