import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Grid } from '../../src/topology/model.js';
import { checkTopologyText } from '../../src/topology/load.js';
import { parseLimit, selectNodes } from '../../src/topology/select.js';
import { selectorRefusal } from '../support/refusal.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const load = (file: string): Grid => checkTopologyText(file, readFileSync(`${root}${file}`, 'utf8')).grid!;
const small = load('examples/small.yaml'); // eu-west: rennes-a (ra-01..03, ra-02 rack=r2), nantes-b (nb-01..03, nb-01 gpu=true)
const large = load('examples/large.yaml'); // 3 regions x 3 sub-grids, 60 nodes
const names = (grid: Grid, limit: string | string[]) => selectNodes(grid, limit).nodes.map((n) => n.name);
const error = (grid: Grid, limit: string) => selectorRefusal(() => selectNodes(grid, limit), `--limit ${limit}`);

describe('selectNodes (--limit)', () => {
  it('node names, in file order whatever the order written, comma lists and repeated flags alike', () => {
    expect(names(small, 'nb-02,ra-01')).toEqual(['ra-01', 'nb-02']);
    expect(names(small, ['nb-02', 'ra-01'])).toEqual(['ra-01', 'nb-02']);
    expect(names(small, 'ra-01,ra-01')).toEqual(['ra-01']);
  });

  it('a sub-grid by name or REGION/SUBGRID, a region by name', () => {
    expect(names(small, 'nantes-b')).toEqual(['nb-01', 'nb-02', 'nb-03']);
    expect(names(small, 'eu-west/rennes-a')).toEqual(['ra-01', 'ra-02', 'ra-03']);
    expect(names(small, 'eu-west')).toHaveLength(6);
    expect(names(large, 'us-east')).toHaveLength(large.regions[2]!.subgrids.flatMap((s) => s.nodes).length);
    expect(names(large, 'us-east').every((n) => n.startsWith('us-east-'))).toBe(true);
  });

  it('globs over node, sub-grid and region names', () => {
    expect(names(small, 'ra-0[12]')).toEqual(['ra-01', 'ra-02']);
    expect(names(small, '*-03')).toEqual(['ra-03', 'nb-03']);
    expect(names(large, 'eu-*/*-site-2')).toEqual(names(large, 'eu-west/eu-west-site-2,eu-central/eu-central-site-2'));
    expect(names(large, '*')).toHaveLength(60);
    expect(names(large, 'us-east-site-{1,3}-n01')).toEqual(['us-east-site-1-n01', 'us-east-site-3-n01']);
  });

  it('labels: label:KEY=VALUE (VALUE may be a glob) and label:KEY', () => {
    expect(names(small, 'label:gpu=true')).toEqual(['nb-01']);
    expect(names(small, 'label:rack=r*')).toEqual(['ra-02']);
    expect(names(small, 'label:rack')).toEqual(['ra-02']);
    expect(names(small, 'label:gpu=true,label:rack=r2')).toEqual(['ra-02', 'nb-01']);
  });

  it('label:KEY looks at the labels the topology gives, not at what every object has (constructor, __proto__, toString)', () => {
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(error(small, `label:${key}`).message).toBe(`--limit "label:${key}" matches no node of grid euro-grid`);
      expect(error(small, `label:${key}=*`).message).toBe(`--limit "label:${key}=*" matches no node of grid euro-grid`);
    }
  });

  it('&SEL intersects and !SEL excludes, as Ansible patterns do', () => {
    expect(names(small, 'eu-west,!nantes-b')).toEqual(['ra-01', 'ra-02', 'ra-03']);
    expect(names(small, '!ra-01')).toEqual(['ra-02', 'ra-03', 'nb-01', 'nb-02', 'nb-03']);
    expect(names(small, 'eu-west,&*-01')).toEqual(['ra-01', 'nb-01']);
    expect(names(large, 'eu-central,&*-n0[1-3],!eu-central-site-2')).toEqual(['eu-central-site-1-n01', 'eu-central-site-1-n02', 'eu-central-site-1-n03', 'eu-central-site-3-n01', 'eu-central-site-3-n02', 'eu-central-site-3-n03']);
  });

  it('records what each selector matched', () => {
    expect(selectNodes(small, 'label:gpu=true,rennes-a').matched).toEqual({ 'label:gpu=true': ['nb-01'], 'rennes-a': ['ra-01', 'ra-02', 'ra-03'] });
  });

  it('a selector that matches nothing is an error naming the closest name', () => {
    const typo = error(small, 'ra-1');
    expect(typo.message).toBe('--limit "ra-1" matches no node of grid euro-grid');
    expect(typo.hint).toMatch(/^did you mean "ra-01"\?/);
    expect(typo.exitCode).toBe(64);
    expect(error(small, 'nantes-a').hint).toMatch(/^did you mean "nantes-b"\?/);
    expect(error(small, 'eu-west/rennes').hint).toMatch(/^did you mean "eu-west\/rennes-a"\?/);
    expect(error(small, 'label:gpu=yes').hint).toMatch(/^did you mean "label:gpu=true"\?/);
    expect(error(small, '!nb-4').hint).toMatch(/^did you mean "!nb-04"\?|^did you mean "!nb-0\d"\?/);
    expect(error(small, 'zz-*').hint).not.toMatch(/did you mean/);
    expect(error(small, 'ra-01,nope-at-all').message).toContain('"nope-at-all"');
  });

  it('an empty --limit, or one that excludes every node, is an error', () => {
    expect(error(small, ' , ').message).toBe('--limit is empty');
    expect(error(small, 'ra-01,!rennes-a').message).toBe('--limit "ra-01,!rennes-a" leaves no node of grid euro-grid');
  });

  it('parseLimit splits comma lists and drops blanks', () => {
    expect(parseLimit(['a,b', ' c ', ''])).toEqual(['a', 'b', 'c']);
    expect(parseLimit('n{1,2},x')).toEqual(['n{1,2}', 'x']);
  });
});
