import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { normaliseAgentConfig } from '../../src/agent/runtime/config.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { instantiate, needsGridKey } from '../../src/playbooks/instantiate.js';
import { templateContext } from '../../src/templates/render.js';
import { checkTopologyText } from '../../src/topology/load.js';
import type { FileResource } from '../../src/resources/file.js';
import { fileProbe } from '../../src/resources/file-state.js';
import { bootstrapElectorate } from '../../src/templates/bootstrap-electorate.js';
import { groupBirths, NO_BIRTHS } from '../../src/state/group-births.js';
import type { GridState } from '../../src/state/state.js';
import type { Grid } from '../../src/topology/model.js';

const TOPOLOGY = `apiVersion: gridops/v1
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
`;
const grid = checkTopologyText('t.yaml', TOPOLOGY).grid!;

/** The same grid grown: a node in s1, a sub-grid s4 in r1, and a region r3. */
const grown = checkTopologyText(
  't.yaml',
  TOPOLOGY.replace('          - { name: n2, address: 10.0.0.2, superPeer: never }', '          - { name: n2, address: 10.0.0.2, superPeer: never }\n          - { name: n5, address: 10.0.0.5 }')
    .replace('      - name: s2\n', '      - name: s4\n        nodes: [{ name: n6, address: 10.0.0.6 }, { name: n7, address: 10.0.0.7 }]\n      - name: s2\n')
    .concat('  - name: r3\n    regionPeerName: region.r3.example.org\n    subgrids: [{ name: s5, nodes: [{ name: n8, address: 10.0.2.1 }] }]\n'),
).grid!;
const nodeOf = (g: Grid, name: string) => g.regions.flatMap((r) => r.subgrids.flatMap((s) => s.nodes)).find((n) => n.name === name)!;

/** The state once `grid` runs: n1 to n4 applied with the agent, and the overlay that elected every sub-grid and region. */
const running = groupBirths({
  format: 'gridops-state/v1',
  grid: 'g',
  serial: 2,
  hosts: Object.fromEntries(['n1', 'n2', 'n3', 'n4'].map((name) => [name, { topologyHash: 'h', playbooks: ['agent'], gridopsVersion: '1', agentVersion: '1', appliedAt: 'x', changesApplied: 0, lastOutcome: 'applied' }])),
  overlay: { verifiedAt: 'x', converged: true, superPeers: { 'r1/s1': 'n1', 'r1/s2': 'n3', 'r2/s3': 'n4' }, regionPeers: { r1: 'n3', r2: 'n4' }, waitingFor: [], nodes: 4, ms: 1 },
} satisfies GridState);

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

  it("declares the owner of the key and of the agent's state (root, as the agent runs): a chown is drift, root's own is none", () => {
    const resources = made('n1').resources;
    const probeOf = (id: string) => resources.find((r) => r.id === id)!;
    const keyFile = probeOf('file /etc/gridagent/grid.key') as FileResource;
    const keyState = (owner: string) => `regular file|600|${owner}|root|64\n${key.toString('base64')}\n`;
    expect(keyFile.diff(keyState('nobody'))!.fields).toEqual([{ name: 'owner', before: 'nobody', after: 'root' }]);
    expect(keyFile.diff(keyState('root'))).toBeNull();
    for (const [dir, mode] of [['/etc/gridagent', '755'], ['/var/lib/gridagent', '700']] as const) {
      const directory = probeOf(`directory ${dir}`);
      expect(directory.probe()).toBe(fileProbe(dir)); // read with its owners
      expect(directory.diff(`directory|${mode}|root|nobody|4096\n`, { node: nodeOf(grid, 'n1') } as never)!.fields).toEqual([{ name: 'group', before: 'nobody', after: 'root' }]);
      expect(directory.diff(`directory|${mode}|root|root|4096\n`, { node: nodeOf(grid, 'n1') } as never)).toBeNull();
    }
  });

  it("renders a config that gridagent's own validator accepts, with every value as written", () => {
    const config = made('n1').resources.find((r) => r.id === 'file /etc/gridagent/config.yaml') as unknown as { want: { content: Buffer } };
    const bootstrap = made('n1').resources.find((r) => r.id === 'file /etc/gridagent/bootstrap.json') as unknown as { want: { content: Buffer } };
    const parsed = normaliseAgentConfig(parse(config.want.content.toString()), 'config.yaml', JSON.parse(bootstrap.want.content.toString()));
    expect(parsed).toMatchObject({ node: 'n1', region: 'r1', subgrid: 's1', bind: '10.0.0.1', port: 7999, superPeer: 'auto', expect: 2, electorate: ['n1', 'n2'], regionExpect: 2, regionElectorate: ['s1', 's2'] });
    expect(parsed.labels).toEqual({ evil: 'x" ]: {} #' });
    expect(parsed.http).toEqual({ bind: '127.0.0.1', port: 7998 });
    expect(parsed.peerRegions).toEqual([{ region: 'r2', regionPeerName: 'region.r2.example.org', regionPeerPort: 7999 }]);
    // The config itself names no other region and no size.
    expect(config.want.content.toString()).not.toMatch(/r2|expect|peerRegions/);
    const n2 = made('n2').resources.find((r) => r.id === 'file /etc/gridagent/config.yaml') as unknown as { want: { content: Buffer } };
    expect(normaliseAgentConfig(parse(n2.want.content.toString()), 'config.yaml').superPeer).toBe('never');
    const n3 = made('n3').resources.find((r) => r.id === 'file /etc/gridagent/config.yaml') as unknown as { want: { content: Buffer } };
    expect(normaliseAgentConfig(parse(n3.want.content.toString()), 'config.yaml').superPeer).toBe('prefer');
    // agent.httpAddress, set on sub-grid s2: its agents' HTTP server listens on every interface
    expect(normaliseAgentConfig(parse(n3.want.content.toString()), 'config.yaml').http).toEqual({ bind: '0.0.0.0', port: 7998 });
  });

  it('growing the grid (a node, a sub-grid, a region) changes no file of an existing node', () => {
    for (const name of ['n1', 'n2', 'n3', 'n4']) {
      const before = instantiate(playbook, templateContext(grid, nodeOf(grid, name), undefined, NO_BIRTHS), { gridKey: key }).resources;
      const after = instantiate(playbook, templateContext(grown, nodeOf(grown, name), undefined, running), { gridKey: key }).resources;
      expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
      for (const resource of after) {
        const was = before.find((r) => r.id === resource.id)!;
        if (resource.id === 'file /etc/gridagent/bootstrap.json') {
          // Its content may differ, but it exists on the node, and a create-only file is never rewritten.
          expect(resource.diff('present\n', { node: nodeOf(grown, name) } as never)).toBeNull();
          expect(resource.probe()).not.toContain('base64');
        } else {
          expect({ id: resource.id, want: (resource as unknown as { want: unknown }).want }).toEqual({ id: was.id, want: (was as unknown as { want: unknown }).want });
        }
      }
    }
  });

  it('only a node born with its sub-grid (or region) gets a bootstrap electorate; every new node gets the regions it can join', () => {
    expect(bootstrapElectorate(grid, nodeOf(grid, 'n1'), NO_BIRTHS)).toEqual({ subgrid: ['n1', 'n2'], region: ['s1', 's2'], peerRegions: [{ region: 'r2', regionPeerName: 'region.r2.example.org' }] });
    const r2r3 = [
      { region: 'r2', regionPeerName: 'region.r2.example.org' },
      { region: 'r3', regionPeerName: 'region.r3.example.org' },
    ];
    // A node added to s1 signs in; a new sub-grid of a running region bootstraps itself only; a new region both.
    expect(bootstrapElectorate(grown, nodeOf(grown, 'n5'), running)).toEqual({ peerRegions: r2r3 });
    expect(bootstrapElectorate(grown, nodeOf(grown, 'n6'), running)).toEqual({ subgrid: ['n6', 'n7'], peerRegions: r2r3 });
    expect(bootstrapElectorate(grown, nodeOf(grown, 'n8'), running)).toEqual({
      subgrid: ['n8'],
      region: ['s5'],
      peerRegions: [
        { region: 'r1', regionPeerName: 'region.r1.example.org' },
        { region: 'r2', regionPeerName: 'region.r2.example.org' },
      ],
    });
    // A node whose own facts show an agent counts as existing even when the state does not know it.
    const bootstrapOf = (facts: unknown) =>
      JSON.parse((instantiate(playbook, templateContext(grown, nodeOf(grown, 'n5'), facts as never, { ...NO_BIRTHS, withAgent: new Set(['n3', 'n4']) }), { gridKey: key }).resources.find((r) => r.id === 'file /etc/gridagent/bootstrap.json') as unknown as { want: { content: Buffer } }).want.content.toString());
    expect(bootstrapOf(undefined).subgrid).toEqual(['n1', 'n2', 'n5']);
  });
});

/**
 * The agent-rename playbook's guard reads the config the agent playbook renders (its `node:` line):
 * the two files must change together, so the guard runs here against the real rendered config.
 */
describe("agent-rename's guard against the agent playbook's config", () => {
  const agent = loadPlaybook('agent');
  const rename = loadPlaybook('agent-rename');
  const ctxOf = (name: string) => templateContext(grid, nodeOf(grid, name));
  const dir = mkdtempSync(join(tmpdir(), 'gridops-rename-guard-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Whether the leave step is planned on a host whose config was rendered for `configFor`, when the node is now `now`. */
  const leavePlanned = (configFor: string | undefined, now: string) => {
    const config = join(dir, `config-${configFor ?? 'none'}.yaml`);
    rmSync(config, { force: true });
    if (configFor) {
      const file = instantiate(agent, ctxOf(configFor), { gridKey: Buffer.from('k'.repeat(64)) }).resources.find((r) => r.id === 'file /etc/gridagent/config.yaml') as unknown as { want: { content: Buffer } };
      writeFileSync(config, file.want.content);
    }
    const leave = instantiate(rename, ctxOf(now)).resources.find((r) => r.id === 'command leave-under-old-name')!;
    const probe = leave.probe().replaceAll('/etc/gridagent/config.yaml', config);
    expect(probe).toContain(config);
    const stdout = execFileSync('sh', ['-c', probe], { encoding: 'utf8' });
    // The command ignores facts (ignoresFacts): none are gathered for it.
    return leave.diff(stdout, { node: nodeOf(grid, now), facts: undefined as never }) !== null;
  };

  it("plans the leave while the config names another node (the old name), not once it names this one, nor without a config", () => {
    expect(leavePlanned('n2', 'n1')).toBe(true);
    expect(leavePlanned('n1', 'n1')).toBe(false);
    expect(leavePlanned(undefined, 'n1')).toBe(false);
  });
});
