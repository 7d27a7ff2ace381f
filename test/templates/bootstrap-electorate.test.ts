import { groupBirths } from '../../src/state/group-births.js';
import type { GridState, HostState } from '../../src/state/state.js';
import { bootstrapElectorate, type BootstrapElectorate } from '../../src/templates/bootstrap-electorate.js';
import { checkTopologyText } from '../../src/topology/load.js';
import type { Grid } from '../../src/topology/model.js';

const TOPOLOGY = `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r
    regionPeerName: region.r.example.org
    subgrids:
      - name: s
        nodes: [{ name: a, address: 10.0.0.1 }, { name: b, address: 10.0.0.2 }, { name: c, address: 10.0.0.3 }]
`;
const grid = checkTopologyText('t.yaml', TOPOLOGY).grid!;
/** The same sub-grid with a node `d` added, and a sub-grid `t` beside it, before the first election. */
const grown = checkTopologyText(
  't.yaml',
  TOPOLOGY.replace('{ name: c, address: 10.0.0.3 }]', '{ name: c, address: 10.0.0.3 }, { name: d, address: 10.0.0.4 }]').concat('      - name: t\n        nodes: [{ name: e, address: 10.0.0.5 }]\n'),
).grid!;
const nodeOf = (g: Grid, name: string) => g.regions.flatMap((r) => r.subgrids.flatMap((s) => s.nodes)).find((n) => n.name === name)!;
const empty: GridState = { format: 'gridops-state/v1', grid: 'g', serial: 0, hosts: {} };

/** A host as record-state leaves it: applied with the agent playbook (and the electorate rendered for it), or failed before it. */
function host(name: string, ok: boolean, electorate?: BootstrapElectorate): HostState {
  return {
    node: { address: '10.0.0.1', region: 'r', subgrid: name === 'e' ? 't' : 's', user: 'root', port: 22 },
    ...(electorate ? { electorate: { subgrid: electorate.subgrid, region: electorate.region } } : {}),
    topologyHash: ok ? 'h' : '',
    playbooks: ok ? ['node-base', 'agent'] : [],
    gridopsVersion: '1',
    agentVersion: null,
    appliedAt: ok ? '2026-12-05T00:00:00Z' : '',
    changesApplied: ok ? 9 : 0,
    lastOutcome: ok ? 'applied' : 'failed',
  };
}

describe('the bootstrap electorate of a sub-grid whose first apply reached only some nodes', () => {
  // Run 1: `a` got the agent with bootstrap.json listing [a, b, c]; `b` failed before the agent, `c` was unreachable.
  const first = bootstrapElectorate(grid, nodeOf(grid, 'a'), groupBirths(empty));
  const afterFirst: GridState = { ...empty, serial: 1, hosts: { a: host('a', true, first), b: host('b', false) } };

  it('gives the late nodes the electorate the first node got, so that quorum (2 of 3) can be reached', () => {
    expect(first.subgrid).toEqual(['a', 'b', 'c']);
    for (const late of ['b', 'c']) {
      const electorate = bootstrapElectorate(grid, nodeOf(grid, late), groupBirths(afterFirst));
      expect({ late, subgrid: electorate.subgrid, region: electorate.region }).toEqual({ late, subgrid: first.subgrid, region: first.region });
    }
  });

  it('keeps the first nodes\' electorate when the topology changed before the first election: a node added since signs in', () => {
    const births = groupBirths(afterFirst);
    expect(bootstrapElectorate(grown, nodeOf(grown, 'c'), births)).toMatchObject({ subgrid: ['a', 'b', 'c'], region: ['s'] });
    expect(bootstrapElectorate(grown, nodeOf(grown, 'd'), births).subgrid).toBeUndefined();
    // A new sub-grid of the unelected region is born on its own, outside the region's first electorate.
    expect(bootstrapElectorate(grown, nodeOf(grown, 'e'), births)).toMatchObject({ subgrid: ['e'] });
    expect(bootstrapElectorate(grown, nodeOf(grown, 'e'), births).region).toBeUndefined();
  });

  it('gives none once the recorded overlay names its super peer (region peer): a node added then signs in', () => {
    const elected: GridState = { ...afterFirst, overlay: { verifiedAt: '', converged: true, superPeers: { 'r/s': 'a' }, regionPeers: { r: 'a' }, waitingFor: [], nodes: 3, ms: 1 } };
    for (const name of ['b', 'c', 'd']) expect(bootstrapElectorate(grown, nodeOf(grown, name), groupBirths(elected))).toEqual({ peerRegions: [] });
    // An overlay that names none for it is no evidence of an election.
    const unelected: GridState = { ...afterFirst, overlay: { verifiedAt: '', converged: false, superPeers: { 'r/s': null }, regionPeers: {}, waitingFor: ['r/s: no super peer yet'], nodes: 1, ms: 1 } };
    expect(bootstrapElectorate(grid, nodeOf(grid, 'c'), groupBirths(unelected)).subgrid).toEqual(['a', 'b', 'c']);
    // Every node reset since (the state forgot them): the recorded election is no group any more, the sub-grid is born again.
    expect(bootstrapElectorate(grid, nodeOf(grid, 'c'), groupBirths({ ...elected, hosts: {} }))).toMatchObject({ subgrid: ['a', 'b', 'c'], region: ['s'] });
  });

  it('gives none where agents run with no recorded electorate (a state written before it was recorded): what they got is unknown', () => {
    const legacy: GridState = { ...afterFirst, hosts: { a: host('a', true), b: host('b', false) } };
    expect(bootstrapElectorate(grid, nodeOf(grid, 'c'), groupBirths(legacy))).toEqual({ peerRegions: [] });
  });
});
