import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gridGraph, type LiveNodes } from '../../src/graph/grid-graph.js';
import { renderGraph } from '../../src/graph/render-graph.js';
import type { NodeStatus } from '../../src/status/grid-status.js';
import { checkTopologyText } from '../../src/topology/load.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const small = checkTopologyText('examples/small.yaml', readFileSync(`${root}examples/small.yaml`, 'utf8')).grid!;

const answer = (node: string, subgrid: string, agent: NodeStatus['agent'] | null, reachable = true): [string, NodeStatus] => [
  node,
  { node, address: '', region: 'eu-west', subgrid, reachable, applied: 'in-sync', agentVersion: agent === null ? null : '0.1.0', ...(agent ? { agent } : {}) },
];
const view = (role: string, superPeer: string, regionPeer: string | null, regionRole?: string) => ({ role, superPeer, regionPeer, term: 3, members: 3, ...(regionRole ? { regionRole } : {}) });

describe('gridGraph', () => {
  it('the topology alone: one cluster per region holding one per sub-grid, nodes with addresses and preferences, no edge drawn', async () => {
    const dot = await renderGraph(gridGraph(small), 'dot');
    expect(dot).toMatch(/^digraph "euro-grid" \{/);
    expect(dot).toContain('label="region eu-west\\nregion.eu-west.grid.example.org"');
    expect(dot).toContain('subgraph cluster_subgrid_0_0');
    expect(dot).toContain('label="sub-grid nantes-b"');
    expect(dot).toContain('label="ra-01\\n10.0.1.11\\n(prefers super peer)"');
    expect(dot).toContain('tooltip="gpu=true"');
    // the only edges are the invisible ones that wrap rows and stack sub-grids
    const edges = [...dot.matchAll(/^\s*"?[\w-]+"?\s*->\s*"?[\w-]+"?\s*\[([^\]]*)\]/gm)];
    expect(edges.length).toBeGreaterThan(0);
    for (const e of edges) expect(e[1]).toContain('style=invis');
  });

  it('live: super peers filled, the region peer with a double red border, followers point at their super peer, super peers at the region peer', async () => {
    const live: LiveNodes = new Map([
      answer('ra-01', 'rennes-a', view('super-peer', 'ra-01', 'ra-01', 'region-peer')),
      answer('ra-02', 'rennes-a', view('mirror', 'ra-01', 'ra-01')),
      answer('ra-03', 'rennes-a', view('member', 'ra-01', 'ra-01')),
      answer('nb-01', 'nantes-b', view('super-peer', 'nb-01', 'ra-01')),
      answer('nb-02', 'nantes-b', view('member', 'nb-01', 'ra-01')),
      answer('nb-03', 'nantes-b', null, false),
    ]);
    const graph = gridGraph(small, live);
    const nodes = graph.subgraphs!.flatMap((r) => (r.subgraphs ?? []).flatMap((s) => (s.subgraphs ?? []).flatMap((row) => row.nodes ?? [])));
    const attrs = (name: string) => nodes.find((n) => n.name === name)!.attributes!;
    expect(attrs('ra-01')).toMatchObject({ label: 'ra-01\\n10.0.1.11\\nsuper peer + region peer (term 3)', fillcolor: '#ffd966', peripheries: 2, color: '#c00000' });
    expect(attrs('nb-01')).toMatchObject({ label: 'nb-01\\n10.0.2.11\\nsuper peer (term 3)', fillcolor: '#ffd966' });
    expect(attrs('nb-01').peripheries).toBeUndefined();
    expect(attrs('ra-02').label).toBe('ra-02\\n10.0.1.12\\nmirror (term 3)');
    expect(attrs('nb-03')).toMatchObject({ label: 'nb-03\\n10.0.2.13\\nunreachable', style: 'rounded,dashed' });
    const visible = graph.edges!.filter((e) => e.attributes?.style !== 'invis').map((e) => `${e.tail}->${e.head}`);
    expect(visible.sort()).toEqual(['nb-01->ra-01', 'nb-02->nb-01', 'ra-02->ra-01', 'ra-03->ra-01']);
    expect(graph.subgraphs!.map((s) => s.name)).toContain('cluster_legend');
  });

  // A node renamed or dropped from the topology can still be the super peer (or region peer) the
  // agents follow: without a box of its own its followers were drawn with no arrow at all.
  it('live: a super peer or region peer not in the topology is drawn as such, and followed', async () => {
    const live: LiveNodes = new Map([
      answer('ra-01', 'rennes-a', view('member', 'gone', 'old-region-peer')),
      answer('ra-02', 'rennes-a', view('mirror', 'gone', 'old-region-peer')),
      answer('nb-01', 'nantes-b', view('super-peer', 'nb-01', 'old-region-peer')),
    ]);
    const graph = gridGraph(small, live);
    const absent = (peer: string) => graph.nodes?.find((n) => n.attributes?.label === `${peer}\\n(not in topology)`);
    expect(absent('gone')?.attributes).toMatchObject({ style: 'rounded,dashed' });
    expect(absent('old-region-peer')).toBeDefined();
    const visible = graph.edges!.filter((e) => e.attributes?.style !== 'invis').map((e) => `${e.tail}->${e.head}`);
    expect(visible.sort()).toEqual([`nb-01->${absent('old-region-peer')!.name}`, `ra-01->${absent('gone')!.name}`, `ra-02->${absent('gone')!.name}`]);
    const dot = await renderGraph(graph, 'dot');
    expect(dot).toContain('label="gone\\n(not in topology)"');
  });

  it('SVG is laid out in WebAssembly: an SVG document with every node and the sub-grids', async () => {
    const svg = await renderGraph(gridGraph(small), 'svg');
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg /);
    for (const name of ['ra-01', 'nb-03', 'sub-grid rennes-a', 'region eu-west']) expect(svg).toContain(`>${name.replace(/-/g, '&#45;')}</text>`); // Graphviz writes - as &#45;
    const width = Number(/<svg width="(\d+)pt"/.exec(svg)![1]);
    expect(width).toBeLessThan(600); // rows wrap and sub-grids stack: not one endless row
  });
});
