import { parse } from 'yaml';
import { normaliseAgentConfig } from '../../src/agent/runtime/config.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { instantiate, needsGridKey } from '../../src/playbooks/instantiate.js';
import { templateContext } from '../../src/templates/render.js';
import { checkTopologyText } from '../../src/topology/load.js';
import type { FileResource } from '../../src/resources/file.js';

const grid = checkTopologyText(
  't.yaml',
  `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults: { agent: { port: 7999, httpPort: 7998 } }
regions:
  - name: r1
    regionPeerName: region.r1.example.org
    subgrids:
      - name: s1
        discovery: { multicast: 239.192.5.5:7947, seeds: ["10.0.0.2:7999"] }
        nodes:
          - { name: n1, address: 10.0.0.1, labels: { evil: "x\\" ]: {} #" } }
          - { name: n2, address: 10.0.0.2, superPeer: never }
      - name: s2
        agent: { httpAddress: 0.0.0.0 }
        nodes: [{ name: n3, address: 10.0.0.3, superPeer: prefer }]
  - name: r2
    regionPeerName: region.r2.example.org
    subgrids: [{ name: s3, nodes: [{ name: n4, address: 10.0.1.1 }] }]
`,
).grid!;

describe('the agent playbook', () => {
  const playbook = loadPlaybook('agent');
  const key = Buffer.from('k'.repeat(64));
  const made = (node: string) => instantiate(playbook, templateContext(grid, grid.regions.flatMap((r) => r.subgrids.flatMap((s) => s.nodes)).find((n) => n.name === node)!), { gridKey: key });

  it('needs the grid key, and places it as a sensitive file that no plan shows', () => {
    expect(needsGridKey([playbook])).toBe(true);
    const keyFile = made('n1').resources.find((r) => r.id === 'file /etc/gridagent/grid.key') as FileResource;
    const change = keyFile.diff('absent\n');
    expect(change).toMatchObject({ sensitive: true, action: 'create' });
    expect(JSON.stringify(change)).not.toContain('kkkk');
  });

  it("renders a config that gridagent's own validator accepts, with every value as written", () => {
    const config = made('n1').resources.find((r) => r.id === 'file /etc/gridagent/config.yaml') as unknown as { want: { content: Buffer } };
    const parsed = normaliseAgentConfig(parse(config.want.content.toString()), 'config.yaml');
    expect(parsed).toMatchObject({ node: 'n1', region: 'r1', subgrid: 's1', bind: '10.0.0.1', port: 7999, superPeer: 'auto', expect: 2, regionExpect: 2 });
    expect(parsed.labels).toEqual({ evil: 'x" ]: {} #' });
    expect(parsed.http).toEqual({ bind: '127.0.0.1', port: 7998 });
    expect(JSON.stringify(parsed)).toContain('region.r2.example.org');
    const n2 = made('n2').resources.find((r) => r.id === 'file /etc/gridagent/config.yaml') as unknown as { want: { content: Buffer } };
    expect(normaliseAgentConfig(parse(n2.want.content.toString()), 'config.yaml').superPeer).toBe('never');
    const n3 = made('n3').resources.find((r) => r.id === 'file /etc/gridagent/config.yaml') as unknown as { want: { content: Buffer } };
    expect(normaliseAgentConfig(parse(n3.want.content.toString()), 'config.yaml').superPeer).toBe('prefer');
    // agent.httpAddress, set on sub-grid s2: its agents' HTTP server listens on every interface
    expect(normaliseAgentConfig(parse(n3.want.content.toString()), 'config.yaml').http).toEqual({ bind: '0.0.0.0', port: 7998 });
  });
});
