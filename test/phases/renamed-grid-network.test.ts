import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import type { CommandChange } from '../../src/plan/change.js';
import { templateContext } from '../../src/templates/render.js';
import type { HostPlan } from '../../src/plan/plan.js';
import { GRID_NETWORK_RENAME_CHANGE, markNetworkRename, networkRenameReason, replaceRenamedNetwork } from '../../src/phases/renamed-grid-network.js';
import type { GridState, HostState } from '../../src/state/state.js';
import { allNodes } from '../../src/topology/model.js';
import { gridOf } from '../resources/fixtures.js';

/** A renamed hypervisor.sandbox.network replaces the old network (renamed-grid-network.ts): every grid network has the same addresses, so the new one cannot start beside it. */
describe('a grid network renamed since gridops made it', () => {
  const grid = gridOf('defaults: { hypervisor: { enabled: true, sandbox: { network: new-net, image: sandbox.img } } }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }, { name: n3, address: 10.0.0.3, hypervisor: { enabled: false } }] }] }]\n');
  const nodes = allNodes(grid);
  const workflowOf = () => ({
    byNode: new Map(nodes.map((n) => [n.name, (n.settings.hypervisor.enabled ? ['node-base', 'hypervisor', 'qos'] : ['node-base', 'qos']).map((p) => loadPlaybook(p))])),
    refs: ['node-base', 'hypervisor', 'qos'],
  });
  const record = (sandboxMade: HostState['sandboxMade']): HostState => ({ topologyHash: 'x', playbooks: ['node-base', 'hypervisor', 'qos'], gridopsVersion: '0', agentVersion: null, appliedAt: '', changesApplied: 0, lastOutcome: 'applied', sandboxMade });

  it('runs grid-network-rename on the old network just before the hypervisor playbook, only where the network made differs and the hypervisor still runs', () => {
    const state = { hosts: { n1: record({ network: 'old-net' }), n2: record({ network: 'new-net' }), n3: record({ network: 'old-net' }) } } as unknown as GridState;
    const workflow = workflowOf();
    const renames = replaceRenamedNetwork(workflow, nodes, state, new Map());
    expect([...renames]).toEqual([['n1', { from: 'old-net', to: 'new-net' }]]);
    expect(workflow.byNode.get('n1')!.map((p) => p.ref)).toEqual(['node-base', 'grid-network-rename', 'hypervisor', 'qos']);
    expect(workflow.byNode.get('n2')!.map((p) => p.ref)).toEqual(['node-base', 'hypervisor', 'qos']);
    // n3's hypervisor is off: hypervisor-off removes the network made, not this.
    expect(workflow.byNode.get('n3')!.map((p) => p.ref)).toEqual(['node-base', 'qos']);
    expect(workflow.refs).toEqual(['node-base', 'grid-network-rename', 'hypervisor', 'qos']);
    const text = JSON.stringify(workflow.byNode.get('n1')![1]);
    // The command names the network once, in a variable (a value may not stand inside $(...)); net-info in its `unless`.
    expect(text).toContain('net=old-net;');
    expect(text).toContain('net-info old-net');
    expect(text).not.toContain('new-net');
  });

  it('a name in the state that is not a DNS label is never put into a command', () => {
    const state = { hosts: { n1: record({ network: "x'; rm -rf /" }) } } as unknown as GridState;
    const workflow = workflowOf();
    expect(replaceRenamedNetwork(workflow, nodes, state, new Map()).size).toBe(0);
    expect(workflow.byNode.get('n1')!.map((p) => p.ref)).toEqual(['node-base', 'hypervisor', 'qos']);
  });

  it("marks the old network's removal and the new network's creation as needing --replace-sandbox; once the old one is gone, the new one is an ordinary change", () => {
    const change = (kind: string, id: string, extra = {}) => ({ kind, id, action: 'create', summary: id, fields: [], ...extra });
    const renames = new Map([['n1', { from: 'old-net', to: 'new-net' }], ['n2', { from: 'old-net', to: 'new-net' }]]);
    const plans = [
      { host: 'n1', address: '10.0.0.1', playbooks: [], changes: [change('command', GRID_NETWORK_RENAME_CHANGE), change('libvirt-network', 'libvirt-network new-net', { network: 'new-net' }), change('libvirt-pool', 'libvirt-pool gridops')], notes: [], handlers: [] },
      { host: 'n2', address: '10.0.0.2', playbooks: [], changes: [change('libvirt-network', 'libvirt-network new-net', { network: 'new-net' })], notes: [], handlers: [] },
    ] as unknown as HostPlan[];
    markNetworkRename(renames, plans);
    const reason = networkRenameReason('old-net', 'new-net');
    expect(reason).toBe('hypervisor.sandbox.network changed from old-net to new-net: the sandbox VM stops, network old-net is removed, and the VM restarts on new-net');
    expect(plans[0]!.changes.map((c) => c.needsRestart)).toEqual([reason, reason, undefined]);
    expect(plans[1]!.changes[0]!.needsRestart).toBeUndefined();
  });

  it('on the host: shuts the running VM down, then destroys and undefines the old network; a second run plans nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-net-rename-'));
    try {
      // A host's virsh, as far as this goes: the VM runs until it is shut down, the old network exists until it is undefined (then libvirt says so, in its words).
      writeFileSync(join(dir, 'virsh'), `#!/bin/sh\necho "$*" >> ${dir}/log\ncase "$*" in\n  "-q -c qemu:///system domstate gridops-sandbox") [ -e ${dir}/off ] && echo "shut off" || echo running ;;\n  "-q -c qemu:///system shutdown gridops-sandbox") touch ${dir}/off ;;\n  "-q -c qemu:///system net-info old-net") [ ! -e ${dir}/undefined ] || { printf '%s\\n' "error: failed to get network 'old-net'" "error: Network not found: no network with matching name 'old-net'" >&2; exit 1; } ;;\n  "-q -c qemu:///system net-undefine old-net") touch ${dir}/undefined ;;\nesac\n`);
      chmodSync(join(dir, 'virsh'), 0o755);
      // libvirt's daemon installed: without it the step takes libvirt's objects for gone.
      writeFileSync(join(dir, 'libvirtd'), '#!/bin/sh\nexit 0\n');
      chmodSync(join(dir, 'libvirtd'), 0o755);
      const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
      const workflow = workflowOf();
      replaceRenamedNetwork(workflow, nodes, { hosts: { n1: record({ network: 'old-net' }) } } as unknown as GridState, new Map());
      const [resource] = instantiate(workflow.byNode.get('n1')![1]!, templateContext(grid, nodes[0]!)).resources;
      const change = resource!.diff(sh(resource!.probe()), undefined as never) as CommandChange;
      expect(change).toMatchObject({ id: GRID_NETWORK_RENAME_CHANGE, action: 'run' });
      writeFileSync(join(dir, 'log'), '');
      sh(change.command);
      expect(readFileSync(join(dir, 'log'), 'utf8').split('\n').filter((l) => !l.includes('domstate'))).toEqual(['-q -c qemu:///system shutdown gridops-sandbox', '-q -c qemu:///system net-destroy old-net', '-q -c qemu:///system net-undefine old-net', '']);
      expect(resource!.diff(sh(resource!.probe()), undefined as never)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
