import type { Problem } from '../errors/problem.js';
import { allNodes, type Grid } from './model.js';
import { pathToString, positionOf, type PathSegment, type SourceDocument } from './source.js';
import { printableJson } from '../text/printable-json.js';
import { printableText } from '../text/printable-text.js';

/**
 * A seed whose port is not the grid's agent.port (one grid-wide: agent-port-check.ts). A seed is an
 * agent a starting one asks when multicast is silent, and every agent of the grid listens on
 * agent.port, so another port is most likely a slip that leaves the seed unanswered. A warning, not
 * a refusal: the seed may be a relay or an agent outside this file.
 */
export function seedPortWarnings(grid: Grid, source: SourceDocument): Problem[] {
  const port = allNodes(grid)[0]?.settings.agent.port;
  if (port === undefined) return [];
  const warnings: Problem[] = [];
  grid.regions.forEach((region, ri) =>
    region.subgrids.forEach((subgrid, si) =>
      subgrid.seeds.forEach((seed, i) => {
        const colon = seed.lastIndexOf(':');
        if (Number(seed.slice(colon + 1)) === port) return;
        const path: PathSegment[] = ['regions', ri, 'subgrids', si, 'discovery', 'seeds', i];
        warnings.push({
          file: source.file,
          ...positionOf(source, path),
          path: pathToString(path),
          message: `seed ${printableJson(seed)} is not at the grid's agent.port ${port}, where every agent of the grid listens`,
          hint: `write it as ${printableText(seed.slice(0, colon))}:${port}, unless that host runs an agent outside this grid on port ${printableText(seed.slice(colon + 1))}`,
        });
      }),
    ),
  );
  return warnings;
}
