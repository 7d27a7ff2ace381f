import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { templateContext } from '../../src/templates/render.js';
import type { HostPlan } from '../../src/plan/plan.js';
import { markSandboxRemoval, removeRetiredHypervisor, resetOnMadeNetwork, SANDBOX_REMOVAL } from '../../src/phases/retired-hypervisor.js';
import type { GridState, HostState } from '../../src/state/state.js';
import { gridOf } from '../resources/fixtures.js';
import { allNodes } from '../../src/topology/model.js';

/** Which nodes run hypervisor-off, on which network, and that its changes wait for --replace-sandbox (retired-hypervisor.ts). */
describe('the sandbox of a node whose hypervisor.enabled became false', () => {
  const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }, { name: n3, address: 10.0.0.3 }] }] }]\n');
  const workflowOf = () => ({ byNode: new Map(['n1', 'n2', 'n3'].map((n) => [n, ['node-base', 'qos', 'agent'].map((p) => loadPlaybook(p))])), refs: ['node-base', 'qos', 'agent'] });
  const record = (extra: Partial<HostState>, network?: string): HostState => ({
    node: { address: '10.0.0.1', region: 'r1', subgrid: 's1', user: 'root', port: 22, ...(network ? { settings: { ...allNodes(grid)[0]!.settings, hypervisor: { ...allNodes(grid)[0]!.settings.hypervisor, sandbox: { ...allNodes(grid)[0]!.settings.hypervisor.sandbox, network } } } } : {}) },
    topologyHash: 'x',
    playbooks: ['node-base', 'qos', 'agent'],
    gridopsVersion: '0',
    agentVersion: null,
    appliedAt: '2026-12-04T00:00:00Z',
    changesApplied: 0,
    lastOutcome: 'applied',
    lastRunAt: '2026-12-04T00:00:00Z',
    ...extra,
  });

  it('runs where the state says gridops made the sandbox (or, in an older state, the last playbooks ran hypervisor), not where it was removed or never made', () => {
    const state: GridState = { hosts: { n1: record({ sandboxMade: { network: 'grid-net' } }), n2: record({ playbooks: ['node-base', 'hypervisor', 'qos', 'agent'] }), n3: record({ sandboxMade: null, playbooks: ['node-base', 'hypervisor'] }) } } as unknown as GridState;
    const workflow = workflowOf();
    const chosen = removeRetiredHypervisor(workflow, state, new Map(), new Set());
    expect([...chosen.keys()]).toEqual(['n1', 'n2']);
    expect(workflow.byNode.get('n1')!.map((p) => p.ref)).toEqual(['node-base', 'hypervisor-off', 'qos', 'agent']);
    expect(workflow.byNode.get('n3')!.map((p) => p.ref)).toEqual(['node-base', 'qos', 'agent']);
    expect(workflow.refs).toContain('hypervisor-off');
    // Not on a node being decommissioned: reset removes it all.
    expect([...removeRetiredHypervisor(workflowOf(), state, new Map(), new Set(['n1'])).keys()]).toEqual(['n2']);
  });

  it('removes the network gridops made for the sandbox, not the topology\'s value now nor the last recorded settings\'', () => {
    const text = (state: unknown) => JSON.stringify(removeRetiredHypervisor(workflowOf(), state as GridState, new Map(), new Set()).get('n1')!);
    // The settings recorded by a later run (whose removal was refused) name another network: the one made wins.
    const made = text({ hosts: { n1: record({ sandboxMade: { network: 'made-net' } }, 'later-net') } });
    expect(made).toContain('{"absent-libvirt":{"network":"made-net"}}');
    expect(made).not.toContain('{{node.settings.hypervisor.sandbox.network}}');
    // An older state without the marker: its recorded settings.
    expect(text({ hosts: { n1: record({ playbooks: ['node-base', 'hypervisor'] }, 'old-net') } })).toContain('{"absent-libvirt":{"network":"old-net"}}');
  });

  it('a decommission or reset removes the network gridops made, which a refused rename left apart from the recorded setting', () => {
    const reset = loadPlaybook('reset');
    // The node as the topology has it now: its setting names the network the refused rename wanted.
    const renamed = gridOf('defaults: { hypervisor: { enabled: true, sandbox: { network: renamed-net, image: sandbox.img } } }\nregions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n');
    const removal = (playbook: ReturnType<typeof loadPlaybook>) => {
      const r = instantiate(playbook, templateContext(renamed, allNodes(renamed)[0]!)).resources.find((x) => x.id.startsWith('absent-libvirt network '))!;
      return r.id;
    };
    expect(removal(resetOnMadeNetwork(reset, record({ sandboxMade: { network: 'made-net' } }, 'renamed-net')))).toBe('absent-libvirt network made-net');
    // Without the marker, the setting, as before.
    expect(removal(reset)).toBe('absent-libvirt network renamed-net');
    // Nothing recorded, or nothing made: the playbook as it is (the node's own setting).
    expect(resetOnMadeNetwork(reset, undefined)).toBe(reset);
    expect(resetOnMadeNetwork(reset, record({ sandboxMade: null }))).toBe(reset);
  });

  it('marks every change of hypervisor-off as needing --replace-sandbox, and no other', () => {
    const state = { hosts: { n1: record({ sandboxMade: { network: 'grid-net' } }) } } as unknown as GridState;
    const chosen = removeRetiredHypervisor(workflowOf(), state, new Map(), new Set());
    const change = (id: string) => ({ kind: 'command', id, action: 'run', summary: id, fields: [], command: 'x' });
    const plans = [
      { host: 'n1', address: '10.0.0.1', playbooks: [], changes: [change('absent-libvirt domain gridops-sandbox'), change('absent-libvirt pool gridops'), change('command other')], notes: [], handlers: [] },
      { host: 'n2', address: '10.0.0.2', playbooks: [], changes: [change('absent-libvirt domain gridops-sandbox')], notes: [], handlers: [] },
    ] as unknown as HostPlan[];
    markSandboxRemoval(grid, allNodes(grid), chosen, plans);
    expect(plans[0]!.changes.map((c) => c.needsRestart)).toEqual([SANDBOX_REMOVAL, SANDBOX_REMOVAL, undefined]);
    expect(plans[1]!.changes[0]!.needsRestart).toBeUndefined();
  });
});
