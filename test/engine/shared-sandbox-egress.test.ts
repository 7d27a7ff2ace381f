import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planHost } from '../../src/engine/planner.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { NO_BIRTHS } from '../../src/state/group-births.js';
import { allNodes } from '../../src/topology/model.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { gridOf } from '../resources/fixtures.js';

/**
 * The hypervisor and qos playbooks both hold the sandbox VM's egress (sandbox-egress): the grid's
 * workflow runs both on a hypervisor node, and plans that resource once, where any other resource
 * two playbooks name is a plan error.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-shared-egress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a node whose playbooks both name sandbox-egress plans it once, with no error', async () => {
  const grid = gridOf('defaults: { qos: { egressMbit: 20 }, hypervisor: { enabled: true, sandbox: { image: sandbox.img } } }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n');
  const node = allNodes(grid)[0]!;
  writeFileSync(join(dir, 'vm-egress.yaml'), 'name: vm-egress\nresources:\n  - sandbox-egress: {}\n');
  const { plan, planned } = await planHost(grid, { node, transport: new LocalTransport('local') }, [loadPlaybook(join(dir, 'vm-egress.yaml')), loadPlaybook('qos')], {}, NO_BIRTHS);
  expect(plan.error).toBeUndefined();
  expect([...planned!.resources.keys()].filter((id) => id.startsWith('sandbox-egress'))).toEqual(['sandbox-egress gridops-sandbox']);
});
