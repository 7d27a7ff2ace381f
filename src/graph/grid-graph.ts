import type { Edge, Graph, Node as GraphNode, Subgraph } from '@viz-js/viz';
import type { Grid, Node } from '../topology/model.js';
import type { NodeStatus } from '../status/grid-status.js';

/**
 * The picture of a grid as a Graphviz graph (data, not DOT text: the library writes DOT, so no
 * value needs escaping by hand): one box per region holding one box per sub-grid holding its
 * nodes. With live answers from the agents, the super peers and region peers are marked and
 * every node is joined to the super peer it follows, every super peer to its region peer.
 */

/** What the agents said, per node name (from `gridStatus`). */
export type LiveNodes = ReadonlyMap<string, NodeStatus>;

const SUPER_PEER_FILL = '#ffd966';
const REGION_PEER_COLOR = '#c00000';

/** A backslash in a free-form value would start a Graphviz label escape (\N, \G): keep it literal. */
const literal = (value: string) => value.replace(/\\/g, '\\\\');

function nodeOf(node: Node, live: LiveNodes | undefined): GraphNode {
  const lines = [node.name, node.address];
  const attributes: GraphNode['attributes'] = { shape: 'box', style: 'rounded' };
  const labels = Object.entries(node.labels).map(([k, v]) => `${k}=${v}`);
  if (labels.length) attributes.tooltip = literal(labels.join(', '));
  if (!live) {
    if (node.superPeer !== 'auto') lines.push(node.superPeer === 'prefer' ? '(prefers super peer)' : '(never super peer)');
  } else {
    const status = live.get(node.name);
    const agent = status?.agent;
    if (!status?.reachable) {
      lines.push('unreachable');
      Object.assign(attributes, { style: 'rounded,dashed', color: 'grey50', fontcolor: 'grey50' });
    } else if (!agent || agent.role === 'not answering') {
      lines.push(status.agentVersion ? 'agent not answering' : 'no agent');
      Object.assign(attributes, { style: 'rounded,dotted', fontcolor: 'grey30' });
    } else {
      const roles = [agent.role === 'super-peer' ? 'super peer' : agent.role, ...(agent.regionRole === 'region-peer' ? ['region peer'] : [])];
      lines.push(`${roles.join(' + ')}${agent.term ? ` (term ${agent.term})` : ''}`);
      if (agent.role === 'super-peer') Object.assign(attributes, { style: 'rounded,filled,bold', fillcolor: SUPER_PEER_FILL });
      if (agent.regionRole === 'region-peer') Object.assign(attributes, { peripheries: 2, color: REGION_PEER_COLOR });
    }
  }
  attributes.label = lines.map(literal).join('\\n');
  return { name: node.name, attributes };
}

/**
 * A peer the agents follow that the topology does not name (renamed or dropped since, yet still
 * elected): a box of its own, outside the regions, so its followers' arrows still say whom they follow.
 */
function absentPeer(name: string): GraphNode {
  return { name: `${name} (not in topology)`, attributes: { shape: 'box', style: 'rounded,dashed', color: 'grey30', fontcolor: 'grey30', label: [name, '(not in topology)'].map(literal).join('\\n') } };
}

/**
 * The overlay's links as the agents report them: follower -> super peer, super peer -> region
 * peer; with the boxes of the peers they name that the topology does not.
 */
function liveLinks(grid: Grid, live: LiveNodes): { edges: Edge[]; absent: GraphNode[] } {
  const known = new Set(grid.regions.flatMap((r) => r.subgrids.flatMap((s) => s.nodes.map((n) => n.name))));
  const absent = new Map<string, GraphNode>();
  const box = (peer: string) => {
    if (known.has(peer)) return peer;
    if (!absent.has(peer)) absent.set(peer, absentPeer(peer));
    return absent.get(peer)!.name;
  };
  const edges: Edge[] = [];
  for (const [name, status] of live) {
    const agent = status.agent;
    if (!agent || agent.role === 'not answering') continue;
    if (agent.role !== 'super-peer' && agent.superPeer) edges.push({ tail: name, head: box(agent.superPeer), attributes: { color: 'grey40', arrowsize: 0.6, constraint: false, ...(agent.role === 'mirror' ? { style: 'dashed' } : {}) } });
    if (agent.role === 'super-peer' && agent.regionRole !== 'region-peer' && agent.regionPeer) edges.push({ tail: name, head: box(agent.regionPeer), attributes: { color: REGION_PEER_COLOR, penwidth: 1.5, constraint: false } });
  }
  return { edges, absent: [...absent.values()] };
}

function legend(): Subgraph {
  const box = (name: string, label: string, extra: GraphNode['attributes']) => ({ name, attributes: { shape: 'box', style: 'rounded', label, ...extra } });
  return {
    name: 'cluster_legend',
    graphAttributes: { label: 'legend', style: 'dashed', color: 'grey60', fontcolor: 'grey40' },
    nodes: [
      box('legend_super', 'super peer', { style: 'rounded,filled,bold', fillcolor: SUPER_PEER_FILL }),
      box('legend_region', 'region peer', { style: 'rounded,filled,bold', fillcolor: SUPER_PEER_FILL, peripheries: 2, color: REGION_PEER_COLOR }),
      box('legend_member', 'member / mirror', {}),
      box('legend_down', 'unreachable', { style: 'rounded,dashed', color: 'grey50', fontcolor: 'grey50' }),
    ],
    edges: [
      { tail: 'legend_member', head: 'legend_super', attributes: { color: 'grey40', arrowsize: 0.6, label: ' follows' } },
      { tail: 'legend_super', head: 'legend_region', attributes: { color: REGION_PEER_COLOR, penwidth: 1.5, label: ' reports to' } },
    ],
  };
}

/** Nodes per row in a sub-grid's box: 4, or more for big sub-grids so the box stays roughly square. */
function columns(nodes: number): number {
  return Math.max(4, Math.ceil(Math.sqrt(nodes)));
}

/** A sub-grid's nodes in rows of `columns()`, in file order. */
function rows(nodes: readonly Node[]): Node[][] {
  const cols = columns(nodes.length);
  const out: Node[][] = [];
  for (let i = 0; i < nodes.length; i += cols) out.push(nodes.slice(i, i + cols));
  return out;
}

/**
 * Invisible edges that lay a region out as a readable block instead of one endless row: in a
 * sub-grid, the nodes of a row keep file order and each row sits under the previous one; a
 * region's sub-grids stack under each other.
 */
function layoutEdges(grid: Grid): Edge[] {
  const invisible = (tail: string, head: string): Edge => ({ tail, head, attributes: { style: 'invis' } });
  const edges: Edge[] = [];
  for (const region of grid.regions) {
    let above: string | undefined;
    for (const subgrid of region.subgrids) {
      for (const row of rows(subgrid.nodes)) {
        for (let i = 1; i < row.length; i++) edges.push(invisible(row[i - 1]!.name, row[i]!.name));
        if (above) edges.push(invisible(above, row[0]!.name));
        above = row[0]!.name;
      }
    }
  }
  return edges;
}

/** The grid's graph; `live` marks what the agents answered (omit it for the topology alone). */
export function gridGraph(grid: Grid, live?: LiveNodes): Graph {
  const links = live ? liveLinks(grid, live) : { edges: [], absent: [] };
  const regions: Subgraph[] = grid.regions.map((region, r) => ({
    name: `cluster_region_${r}`,
    graphAttributes: { label: [`region ${region.name}`, region.regionPeerName].map(literal).join('\\n'), style: 'rounded', color: 'grey30', fontname: 'Helvetica-Bold' },
    subgraphs: region.subgrids.map((subgrid, s) => ({
      name: `cluster_subgrid_${r}_${s}`,
      graphAttributes: { label: literal(`sub-grid ${subgrid.name}`), style: 'rounded,filled', fillcolor: 'grey96', color: 'grey60', fontname: 'Helvetica' },
      subgraphs: rows(subgrid.nodes).map((row) => ({ graphAttributes: { rank: 'same' }, nodes: row.map((n) => nodeOf(n, live)) })),
    })),
  }));
  return {
    name: grid.name,
    directed: true,
    graphAttributes: { label: literal(`grid ${grid.name}${live ? ' (live)' : ''}`), labelloc: 't', fontname: 'Helvetica-Bold', fontsize: 16, compound: true, newrank: true, nodesep: 0.25, ranksep: 0.5 },
    nodeAttributes: { fontname: 'Helvetica', fontsize: 11, margin: '0.12,0.06' },
    edgeAttributes: { fontname: 'Helvetica', fontsize: 10 },
    subgraphs: live ? [...regions, legend()] : regions,
    ...(links.absent.length ? { nodes: links.absent } : {}),
    edges: [...layoutEdges(grid), ...links.edges],
  };
}
