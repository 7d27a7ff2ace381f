import type { AgentSettings } from '../core/agent.js';
import { randomInt, seededRandom } from '../core/prng.js';
import { announcedScore } from '../core/score.js';
import type { Timers } from '../core/timers.js';
import type { SimNodeSpec } from './network.js';

export interface GridShape {
  regions: number;
  subgridsPerRegion: number;
  nodesPerSubgrid: number;
  seed: number;
  /** Fraction of nodes configured `superPeer: never`. */
  neverFraction?: number;
  /** Fraction of nodes configured `superPeer: prefer` (drawn after the `never` ones). */
  preferFraction?: number;
  /** Give every node the bootstrap score gridops renders (its score at no load and full uptime). */
  renderedBootstrapScores?: boolean;
  mirrors?: number;
  timers?: Partial<Timers>;
}

/** A generated grid: node specs plus what each region's DNS name resolves to. */
export interface SimGrid {
  specs: SimNodeSpec[];
  dns: Record<string, string[]>;
  subgrids: string[];
}

/**
 * Builds a grid of heterogeneous machines with names like r0-s1-n02. Each node lists two
 * sub-grid neighbours as seeds; each region's DNS name lists the first two nodes of every
 * sub-grid, as gridops would render it from the topology.
 */
export function buildGrid(shape: GridShape): SimGrid {
  const random = seededRandom(shape.seed ^ 0x9e3779b9);
  const specs: SimNodeSpec[] = [];
  const dns: Record<string, string[]> = {};
  const subgrids: string[] = [];
  for (let r = 0; r < shape.regions; r++) {
    const region = `r${r}`;
    dns[region] = [];
    for (let s = 0; s < shape.subgridsPerRegion; s++) {
      const subgrid = `${region}-s${s}`;
      subgrids.push(subgrid);
      const names = Array.from({ length: shape.nodesPerSubgrid }, (_, n) => `${subgrid}-n${String(n).padStart(2, '0')}`);
      dns[region]!.push(...names.slice(0, 2));
      names.forEach((name, n) => {
        const cores = [2, 4, 8, 16, 32][randomInt(random, 0, 4)]!;
        const never = shape.neverFraction ?? 0.1;
        const preference = random.next();
        const settings: AgentSettings = {
          name,
          region,
          subgrid,
          superPeer: preference < never ? 'never' : preference < never + (shape.preferFraction ?? 0) ? 'prefer' : 'auto',
          attrs: {
            arch: 'x86_64',
            cores,
            memoryMiB: cores * 2048 * randomInt(random, 1, 4),
            labels: {},
            load: Math.round(random.next() * cores * 100) / 100,
            uptimeSec: randomInt(random, 60, 86400),
          },
          electorate: names,
          regionElectorate: Array.from({ length: shape.subgridsPerRegion }, (_, other) => `${region}-s${other}`),
          regionPeerName: region,
          mirrors: shape.mirrors ?? 4,
          hysteresis: 0.25,
          timers: shape.timers,
          peerRegions: Array.from({ length: shape.regions }, (_, other) => `r${other}`).filter((other) => other !== region),
        };
        if (shape.renderedBootstrapScores) settings.bootstrapScore = announcedScore({ ...settings.attrs, load: 0, uptimeSec: 3600 }, settings.superPeer);
        specs.push({ settings, seeds: [names[(n + 1) % names.length]!, names[(n + 2) % names.length]!] });
      });
    }
  }
  return { specs, dns, subgrids };
}
