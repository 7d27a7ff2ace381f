import type { Grid, Node, Subgrid } from './model.js';
import { settingPath } from './origin-path.js';
import type { Problem } from '../errors/problem.js';
import type { RawTopology } from './schema.js';
import { pathToString, positionOf, type PathSegment, type SourceDocument } from './source.js';
import { printableJson } from '../text/printable-json.js';

/** One port a node listens on, with the protocols it takes and where its value was written. */
interface Listener {
  what: string;
  port: number;
  protocols: ReadonlyArray<'udp' | 'tcp'>;
  /** Where the value is written in the file; undefined for a built-in default. */
  path?: PathSegment[];
}

/**
 * A node's own listeners must not share a port on a protocol: gridagent binds UDP and TCP on
 * `agent.port` (the UDP socket without SO_REUSEADDR), UDP on its sub-grid's multicast port, TCP
 * on `agent.httpPort` (127.0.0.1, which clashes with a wildcard bind of the same port), and the
 * node's sshd listens on TCP `ssh.port`. A UDP-only and a TCP-only port may be equal (the
 * multicast port and httpPort, say). Runs on the resolved grid, since a clash can come from two
 * levels; each clash is reported once, at the value written later in the file.
 */
export function listenerProblems(grid: Grid, source: SourceDocument): Problem[] {
  const problems: Problem[] = [];
  const reported = new Set<string>();
  const raw = source.value as RawTopology;
  grid.regions.forEach((region, ri) => {
    region.subgrids.forEach((subgrid, si) => {
      const multicastWritten = raw.regions[ri]?.subgrids[si]?.discovery?.multicast !== undefined;
      const multicast = multicastWritten ? ['regions', ri, 'subgrids', si, 'discovery', 'multicast'] : undefined;
      for (const node of subgrid.nodes) {
        const listeners = nodeListeners(node, subgrid, multicast);
        for (let i = 0; i < listeners.length; i++) {
          for (let j = i + 1; j < listeners.length; j++) {
            const a = listeners[i]!;
            const b = listeners[j]!;
            const shared = a.protocols.filter((p) => b.protocols.includes(p));
            if (a.port !== b.port || shared.length === 0) continue;
            const [first, later] = order(a, b, source);
            if (!later.path) continue; // two built-in defaults never clash
            const at = positionOf(source, later.path);
            const id = `${at.line}:${at.column}:${first.what}:${later.what}`;
            if (reported.has(id)) continue;
            reported.add(id);
            const firstAt = first.path ? ` (line ${positionOf(source, first.path).line})` : ' (built-in default)';
            problems.push({
              file: source.file,
              ...at,
              path: pathToString(later.path),
              message: `${later.what} ${later.port} clashes with ${first.what}${firstAt} on node ${printableJson(node.name)}: both listen on ${shared.join(' and ').toUpperCase()} port ${later.port}`,
              hint: `give ${later.what} a port of its own; ${describePorts(listeners)}`,
            });
          }
        }
      }
    });
  });
  return problems;
}

function nodeListeners(node: Node, subgrid: Subgrid, multicastAt: PathSegment[] | undefined): Listener[] {
  const at = (key: string): PathSegment[] | undefined => settingPath(node.origins[key], key);
  return [
    { what: 'agent.port', port: node.settings.agent.port, protocols: ['udp', 'tcp'], path: at('agent.port') },
    { what: 'agent.httpPort', port: node.settings.agent.httpPort, protocols: ['tcp'], path: at('agent.httpPort') },
    { what: 'ssh.port', port: node.settings.ssh.port, protocols: ['tcp'], path: at('ssh.port') },
    { what: 'the multicast port', port: subgrid.multicast.port, protocols: ['udp'], path: multicastAt },
  ];
}

function describePorts(listeners: Listener[]): string {
  return `this node uses ${listeners.map((l) => `${l.what} ${l.port} (${l.protocols.join('+')})`).join(', ')}`;
}

/** The two listeners, the one written earlier in the file first (a built-in default counts as earliest). */
function order(a: Listener, b: Listener, source: SourceDocument): [Listener, Listener] {
  if (!a.path) return [a, b];
  if (!b.path) return [b, a];
  const pa = positionOf(source, a.path);
  const pb = positionOf(source, b.path);
  return pa.line < pb.line || (pa.line === pb.line && pa.column <= pb.column) ? [a, b] : [b, a];
}
