import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planHost } from '../../src/engine/planner.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { groupBirths, NO_BIRTHS } from '../../src/state/group-births.js';
import { allNodes } from '../../src/topology/model.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { smallGrid } from '../resources/fixtures.js';

/**
 * The planner hands record-state the bootstrap electorate its templates rendered for a host, so the
 * state can give the same list to the nodes of that birth a later run reaches (state/group-births.ts).
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-planned-bootstrap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');

function playbook(name: string, template: string) {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'templates', `${name}.hbs`), template);
  writeFileSync(join(dir, `${name}.yaml`), `name: ${name}\nresources:\n  - file: { path: ${join(dir, `${name}.out`)}, template: ${name}.hbs, createOnly: true }\n`);
  return loadPlaybook(join(dir, `${name}.yaml`));
}

describe('the bootstrap electorate a plan rendered', () => {
  const grid = smallGrid();
  const node = allNodes(grid)[0]!;
  const names = grid.regions.find((r) => r.name === node.region)!.subgrids.find((s) => s.name === node.subgrid)!.nodes.map((n) => n.name);

  it('is kept with the planned host when a template read it, the same as the file got', async () => {
    const { planned } = await planHost(grid, { node, transport: local }, [playbook('bootstrap', '{{json agent.bootstrap}}')], {}, NO_BIRTHS);
    expect(planned!.bootstrap?.subgrid).toEqual(names);
    const file = planned!.resources.get(`file ${join(dir, 'bootstrap.out')}`) as unknown as { want: { content: Buffer } };
    expect(JSON.parse(file.want.content.toString())).toEqual(planned!.bootstrap);
    // A sub-grid that elected: none rendered, none kept.
    const elected = groupBirths({ format: 'gridops-state/v1', grid: grid.name, serial: 1, hosts: {}, overlay: { verifiedAt: '', converged: true, superPeers: { [`${node.region}/${node.subgrid}`]: node.name }, regionPeers: {}, waitingFor: [], nodes: 1, ms: 1 } });
    const running = { ...elected, withAgent: new Set([node.name]) };
    expect((await planHost(grid, { node, transport: local }, [playbook('bootstrap', '{{json agent.bootstrap}}')], {}, running)).planned!.bootstrap?.subgrid).toBeUndefined();
  });

  it('is not kept when no template read it: that run writes no bootstrap file', async () => {
    const { planned } = await planHost(grid, { node, transport: local }, [playbook('plain', '{{node.name}}')], {}, NO_BIRTHS);
    expect(planned!.plan.error).toBeUndefined();
    expect(planned!.bootstrap).toBeUndefined();
  });
});
