import type { Problem } from '../errors/problem.js';
import { allNodes, type Grid, type Node } from './model.js';
import { settingPath } from './origin-path.js';
import { pathToString, positionOf, type SourceDocument } from './source.js';

/**
 * Every node of the grid must run gridagent on one `agent.port`. An agent finds a region peer by
 * looking up its region peer name (A records) at the agent's own port: the rendered config carries
 * no regionPeerPort, bootstrap.json's peerRegions no port, and SRV records that would carry one are
 * not assumed. A region, sub-grid or node on another port is looked up at the wrong one by the rest
 * (and looks them up at the wrong one): regions never link. Seeds and multicast discovery carry the
 * sender's port, but the region peer of any region may be any of its nodes, so no difference is safe.
 *
 * The grid's port is the one written grid-wide (defaults, else built-in) when a node runs on it,
 * else the first node's; each setting that gives nodes another is reported once, where it is written.
 */
export function agentPortProblems(grid: Grid, source: SourceDocument): Problem[] {
  const nodes = allNodes(grid);
  const gridWide = nodes.find((n) => ['defaults', 'built-in'].includes(n.origins['agent.port'] ?? 'built-in')) ?? nodes[0];
  if (!gridWide) return [];
  const port = gridWide.settings.agent.port;
  const byOrigin = new Map<string, Node[]>();
  for (const node of nodes) {
    if (node.settings.agent.port === port) continue;
    const origin = node.origins['agent.port'] ?? 'built-in';
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), node]);
  }
  const reference = `${port}, ${where(gridWide, source)}`;
  const problems: Problem[] = [];
  for (const [origin, moved] of byOrigin) {
    const path = settingPath(origin, 'agent.port');
    // A built-in port differs only from a written one, and that one is reported where it is written.
    if (path === undefined) continue;
    problems.push({
      file: source.file,
      ...positionOf(source, path),
      path: pathToString(path),
      message: `agent.port ${moved[0]!.settings.agent.port} runs the agents of ${moved.map((n) => n.name).join(', ')} on another port than the rest of the grid (${reference}): agents look up region peer names at their own agent.port, so these nodes and the others would never find each other's region peer`,
      hint: 'every node of the grid must run gridagent on one agent.port (SRV records giving each region peer its port are not assumed): set agent.port once in defaults, or remove this one; a grid already deployed on several ports is brought to one by `apply --rolling`, and `reset` removes its agents whatever port they run on',
    });
  }
  return problems;
}

/** Where the grid's port comes from, as the message names it: `the built-in default`, or `defaults at 4:28`. */
function where(node: Node, source: SourceDocument): string {
  const origin = node.origins['agent.port'] ?? 'built-in';
  const path = settingPath(origin, 'agent.port');
  if (path === undefined) return 'the built-in default';
  const at = positionOf(source, path);
  return `${origin} at ${at.line}:${at.column}`;
}
