import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { SandboxDomainResource } from '../../src/resources/sandbox-domain.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { facts, gridOf } from '../resources/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'gridops-sandbox-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("the hypervisor playbook's sandbox gets the node's qos.gridMemoryMiB (grid.slice holds the VM) and kernel.modules (KVM expected once node-base loads them)", () => {
  writeFileSync(join(dir, 'sandbox.img'), 'an image');
  const grid = gridOf(`defaults: { kernel: { modules: [kvm_intel] }, qos: { gridMemoryMiB: 300 }, hypervisor: { enabled: true, sandbox: { image: ${join(dir, 'sandbox.img')} } } }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n`);
  const node = allNodes(grid)[0]!;
  const domain = instantiate(loadPlaybook('hypervisor'), templateContext(grid, node, facts())).resources.find((r) => r instanceof SandboxDomainResource) as SandboxDomainResource;
  expect(domain.spec.gridMemoryMiB).toBe(300);
  expect(domain.spec.kernelModules).toEqual(['kvm_intel']);
});
