import { checkTopologyText } from '../../src/topology/load.js';
import { GRIDOPS_VERSION } from '../../src/version.js';
import { AGENT_VERSION } from '../../src/agent/version.js';

const text = (defaults: string, node = '{ name: n2, address: 10.0.1.12 }') => `apiVersion: gridops/v1
kind: Grid
metadata: { name: pins }
defaults:
  agent: { ${defaults} }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.1.11 }
          - ${node}
`;

/** agent.version pins the shipped gridagent: another version is an error where it is written, never a silent deploy. */
describe('agent.version', () => {
  it('the shipped version, or none, validates, and every node gets the shipped one', () => {
    expect(GRIDOPS_VERSION).toBe(AGENT_VERSION);
    for (const t of [text(`version: ${GRIDOPS_VERSION}`), text('port: 7946')]) {
      const { grid, problems } = checkTopologyText('g.yaml', t);
      expect(problems).toEqual([]);
      expect(grid!.regions[0]!.subgrids[0]!.nodes.map((n) => n.settings.agent.version)).toEqual([GRIDOPS_VERSION, GRIDOPS_VERSION]);
    }
  });

  it('another version is an error at each place it is written, once, saying what to do', () => {
    const { grid, problems } = checkTopologyText('g.yaml', text('version: 9.9.9', '{ name: n2, address: 10.0.1.12, agent: { version: 0.0.1 } }'));
    expect(grid).toBeUndefined();
    expect(problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual(['5:21 defaults.agent.version', '12:63 regions[0].subgrids[0].nodes[1].agent.version']);
    expect(problems[0]!.message).toBe(`agent.version "9.9.9" is not the gridagent this gridops ships (${GRIDOPS_VERSION}); gridops deploys the agent built with it and downloads none`);
    expect(problems[0]!.hint).toBe(`set agent.version: ${GRIDOPS_VERSION} or remove it, or run the gridops release whose version is 9.9.9`);
  });
});
