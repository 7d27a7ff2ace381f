import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkTopologyText } from '../../src/topology/load.js';
import { renderTopology } from '../../src/lab/topology.js';
import { planLab } from '../../src/lab/plan.js';

/** Two regions of one sub-grid each; `settings` are inserted per level, each as one flow line. */
const text = (levels: { defaults?: string; r2?: string; s2?: string; n4?: string } = {}) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults: { ${levels.defaults ?? ''} }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.1.11 }
          - { name: n2, address: 10.0.1.12 }
  - name: r2
    ${levels.r2 ?? ''}
    subgrids:
      - name: s2
        ${levels.s2 ?? ''}
        nodes:
          - { name: n3, address: 10.0.2.11 }
          - { name: n4, address: 10.0.2.12${levels.n4 ? `, ${levels.n4}` : ''} }
`;

/**
 * An agent looks up the region peer names of other regions (and of its own region's peer) at its
 * own agent.port: the config has no other port for them and SRV records are not assumed. A region,
 * sub-grid or node on another port is never found, and regions never link (review finding 3).
 */
describe('agent.port is one for the whole grid', () => {
  it('refuses a region that overrides agent.port, at the overriding setting, saying why and what to do', () => {
    const { grid, problems } = checkTopologyText('g.yaml', text({ r2: 'agent: { port: 8946 }' }));
    expect(grid).toBeUndefined();
    expect(problems).toEqual([
      {
        file: 'g.yaml',
        line: 13,
        column: 20,
        path: 'regions[1].agent.port',
        message: 'agent.port 8946 runs the agents of n3, n4 on another port than the rest of the grid (7946, the built-in default): agents look up region peer names at their own agent.port, so these nodes and the others would never find each other\'s region peer',
        hint: 'every node of the grid must run gridagent on one agent.port (SRV records giving each region peer its port are not assumed): set agent.port once in defaults, or remove this one; a grid already deployed on several ports is brought to one by `apply --rolling`, and `reset` removes its agents whatever port they run on',
      },
    ]);
  });

  it('names where the grid-wide port is written, and refuses a sub-grid or a node on another port', () => {
    const subgrid = checkTopologyText('g.yaml', text({ defaults: 'agent: { port: 7000 }', s2: 'agent: { port: 7001 }' }));
    expect(subgrid.problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual(['16:24 regions[1].subgrids[0].agent.port']);
    expect(subgrid.problems[0]!.message).toContain('agent.port 7001 runs the agents of n3, n4 on another port than the rest of the grid (7000, defaults at 4:28)');
    const node = checkTopologyText('g.yaml', text({ n4: 'agent: { port: 7001 }' }));
    expect(node.problems.map((p) => `${p.line}:${p.column} ${p.path} ${p.message.slice(0, 38)}`)).toEqual(['19:60 regions[1].subgrids[0].nodes[1].agent.port agent.port 7001 runs the agents of n4 ']);
  });

  it('reports each overriding setting once, whatever the number of nodes inheriting it', () => {
    const { problems } = checkTopologyText('g.yaml', text({ r2: 'agent: { port: 8946 }', n4: 'agent: { port: 8947 }' }));
    expect(problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual(['13:20 regions[1].agent.port', '19:60 regions[1].subgrids[0].nodes[1].agent.port']);
    expect(problems[0]!.message).toContain('runs the agents of n3 on another port');
  });

  it("takes the first node's port as the grid's when no node keeps the one in defaults", () => {
    // r1 and r2 both move away from the default, to different ports: the one first in the file is the reference.
    const t = text({ r2: 'agent: { port: 8946 }' }).replace('  - name: r1\n', '  - name: r1\n    agent: { port: 8000 }\n');
    const { problems } = checkTopologyText('g.yaml', t);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual(['14:20 regions[1].agent.port']);
    expect(problems[0]!.message).toContain('(8000, regions[0] at 7:20)');
  });

  it('accepts one port everywhere: written at several levels alike, a node override equal to the default, or every region moved to the same port', () => {
    for (const levels of [{}, { defaults: 'agent: { port: 7946 }', r2: 'agent: { port: 7946 }' }, { n4: 'agent: { port: 7946 }' }, { defaults: 'agent: { port: 7000 }', s2: 'agent: { port: 7000 }', n4: 'agent: { port: 7000 }' }]) {
      const { grid, problems } = checkTopologyText('g.yaml', text(levels));
      expect(problems).toEqual([]);
      expect(grid).toBeDefined();
    }
    const everyRegion = text({ r2: 'agent: { port: 8946 }' }).replace('  - name: r1\n', '  - name: r1\n    agent: { port: 8946 }\n');
    expect(checkTopologyText('g.yaml', everyRegion).problems).toEqual([]);
  });

  it('the shipped examples and the lab topology still validate', () => {
    const dir = fileURLToPath(new URL('../../examples/', import.meta.url));
    const examples = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(examples.length).toBeGreaterThan(0);
    for (const file of examples) expect(checkTopologyText(file, readFileSync(dir + file, 'utf8')).problems).toEqual([]);
    for (const kind of ['container', 'netns', 'vm'] as const) {
      const lab = renderTopology(planLab({ kind, nodes: 8, subgrids: 2, regions: 2 }, 0), { identity: '/k', knownHosts: '/kh' });
      expect(checkTopologyText('lab.yaml', lab).problems).toEqual([]);
    }
  });
});
