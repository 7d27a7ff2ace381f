import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkTopologyText } from '../../src/topology/load.js';
import type { Grid } from '../../src/topology/model.js';
import { selectSite } from '../../src/topology/select-site.js';
import { selectorRefusal } from '../support/refusal.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const small: Grid = checkTopologyText('examples/small.yaml', readFileSync(`${root}examples/small.yaml`, 'utf8')).grid!; // eu-west: rennes-a (ra-01..03), nantes-b (nb-01..03)
const names = (site: string) => selectSite(small, site).map((n) => n.name);
const refusal = (site: string) => selectorRefusal(() => selectSite(small, site), `--site ${site}`);

describe('selectSite (--site)', () => {
  it('a region, REGION/SUBGRID, or a sub-grid by its own name (unique in the grid, as --limit takes it)', () => {
    expect(names('eu-west')).toHaveLength(6);
    expect(names('eu-west/nantes-b')).toEqual(['nb-01', 'nb-02', 'nb-03']);
    expect(names('nantes-b')).toEqual(['nb-01', 'nb-02', 'nb-03']);
  });

  it('a typo is a usage error (exit 64) naming the closest site', () => {
    const e = refusal('euwest');
    expect(e.exitCode).toBe(64);
    expect(e.message).toBe('--site "euwest" is no region or sub-grid of grid euro-grid');
    expect(e.hint).toMatch(/^did you mean "eu-west"\? give REGION, REGION\/SUBGRID or a sub-grid's name, one of: eu-west, rennes-a, eu-west\/rennes-a/);
    expect(refusal('eu-west/nantesb').hint).toMatch(/^did you mean "eu-west\/nantes-b"\?/);
    expect(refusal('eu-west/nantes-b/nb-01').message).toContain('is no region or sub-grid');
  });

  it('a node is not a site: --limit is for nodes', () => {
    const e = refusal('ra-01');
    expect(e.message).toBe('--site "ra-01" is a node, not a region or sub-grid');
    expect(e.hint).toContain('--limit works on single nodes');
  });
});
