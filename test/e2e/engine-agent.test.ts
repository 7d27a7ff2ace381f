import { jest } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeLab } from './support/lab.js';
import { gridops } from './support/cli.js';

/**
 * gridagent deployed by gridops onto systemd containers, running on the nodes' own Node.js
 * (Debian 12's nodejs 18): the playbook installs it, the agents elect one super peer per
 * sub-grid, the grid key stays secret, and a killed super peer is replaced.
 */
jest.setTimeout(600_000);

// Three nodes per sub-grid: a sub-grid of two cannot elect a successor while its super peer is
// down (a majority of 2 voters is 2), so with two the old node, restarted by systemd, may win again.
describeLab('gridagent deployed with the agent playbook (Node 18, systemd containers)', { kind: 'container', nodes: 6, subgrids: 2 }, (lab) => {
  const playbooks = ['--playbook', 'node-base', '--playbook', 'agent'];
  const status = (...extra: string[]) => {
    const r = gridops(['status', lab.topology, '--json', ...extra], { timeoutMs: 120_000 });
    return { code: r.status, data: JSON.parse(r.stdout) as { nodes: Array<{ node: string; subgrid: string; agent?: { role: string; term: number } }>; superPeers: Record<string, string[]>; regionPeers: Record<string, string[]> } };
  };

  it('installs and starts the agents; every sub-grid elects one super peer and the region one region peer; a second plan is empty', async () => {
    // The plan elects the initial super peers from facts: identical lab nodes, so the first name of each sub-grid.
    const planned = JSON.parse(gridops(['plan', lab.topology, '--json', ...playbooks]).stdout) as { election: { subgrids: Array<{ subgrid: string; status: string; superPeer: string }>; regions: Array<{ regionPeer: string }> } };
    expect(planned.election.subgrids.map((s) => [s.subgrid, s.status, s.superPeer])).toEqual([
      ['subgrid-1', 'initial', 'node-01'],
      ['subgrid-2', 'initial', 'node-04'],
    ]);
    expect(planned.election.regions[0]!.regionPeer).toBe('node-01');
    const log = join(lab.dir, 'apply.log');
    const apply = gridops(['apply', lab.topology, '--yes', '--log-file', log, ...playbooks], { timeoutMs: 540_000 });
    expect(apply.stderr).not.toMatch(/error|warning/i);
    expect(apply.status).toBe(0);
    // Step 5 of apply: the agents were asked until they agreed, and the state records what they agreed on.
    expect(apply.stdout).toMatch(/Overlay: converged in [\d.]+ s \(6 agents\)/);
    const recorded = JSON.parse(readFileSync(join(lab.dir, '.gridops', 'lab.state.json'), 'utf8')) as { overlay: { converged: boolean; nodes: number; superPeers: Record<string, string>; regionPeers: Record<string, string> } };
    expect(apply.stdout).toContain('Initial election (from facts');
    // ... and the agents' first election followed the plan.
    expect(recorded.overlay).toMatchObject({ converged: true, nodes: 6, superPeers: { 'region-1/subgrid-1': 'node-01', 'region-1/subgrid-2': 'node-04' }, regionPeers: { 'region-1': 'node-01' }, unlikePlan: [] });
    expect((await lab.ssh('node-01', 'node --version')).stdout).toMatch(/^v18\./);
    expect((await lab.ssh('node-01', 'systemctl is-active gridagent')).stdout.trim()).toBe('active');
    const { code, data } = status('--wait', '30s');
    expect(code).toBe(0);
    expect(Object.keys(data.superPeers).sort()).toEqual(['region-1/subgrid-1', 'region-1/subgrid-2']);
    for (const peers of Object.values(data.superPeers)) expect(peers).toHaveLength(1);
    // The two super peers found each other through the region peer's name (the lab's DNS) and elected one.
    expect(data.regionPeers['region-1']).toHaveLength(1);
    expect(Object.values(data.superPeers).flat()).toContain(data.regionPeers['region-1']![0]);
    expect(gridops(['plan', lab.topology, '--detailed-exitcode', ...playbooks]).status).toBe(0);

    // The key: mode 0600 on every node, identical everywhere, and in no plan, log or state.
    const key = readFileSync(join(lab.dir, '.gridops', 'lab.key'), 'utf8').trim();
    for (const node of ['node-01', 'node-06']) expect((await lab.ssh(node, 'stat -c %a /etc/gridagent/grid.key && cat /etc/gridagent/grid.key')).stdout).toBe(`600\n${key}`);
    const plan = gridops(['plan', lab.topology, '--json', ...playbooks]).stdout;
    for (const text of [plan, readFileSync(log, 'utf8'), readFileSync(join(lab.dir, '.gridops', 'lab.state.json'), 'utf8'), apply.stdout]) expect(text).not.toContain(key);
  });

  it('a SIGKILLed super peer is replaced, and systemd brings the old one back as a member', async () => {
    const before = status('--wait', '30s').data;
    const victim = before.superPeers['region-1/subgrid-1']![0]!;
    const oldTerm = before.nodes.find((n) => n.node === victim)!.agent!.term;
    await lab.ssh(victim, 'systemctl kill -s KILL gridagent');
    const deadline = Date.now() + 20_000;
    let after = status().data;
    while (Date.now() < deadline && (after.superPeers['region-1/subgrid-1']?.[0] ?? victim) === victim) {
      await new Promise((r) => setTimeout(r, 300));
      after = status().data;
    }
    const successor = after.superPeers['region-1/subgrid-1']?.[0];
    expect(successor).toBeDefined();
    expect(successor).not.toBe(victim);
    expect(after.nodes.find((n) => n.node === successor)!.agent!.term).toBeGreaterThan(oldTerm);
    const settled = status('--wait', '30s');
    expect(settled.code).toBe(0);
    expect(settled.data.nodes.find((n) => n.node === victim)!.agent!.role).not.toBe('not answering');
  });

  it('apply with nothing to change still verifies the overlay, and fails clearly when an agent does not answer', async () => {
    const again = gridops(['apply', lab.topology, '--yes', ...playbooks], { timeoutMs: 120_000 });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('Apply: 0 change(s)');
    expect(again.stdout).toMatch(/Overlay: converged/);

    // A frozen agent: systemd still calls it active, so apply has nothing to change, but it never answers.
    // The same grid with a 10 s health timeout, beside the lab topology so that it shares its state and key.
    const short = join(lab.dir, 'topology-10s.yaml');
    writeFileSync(short, `${readFileSync(lab.topology, 'utf8')}\nrollout: { healthTimeout: 10s }\n`);
    await lab.ssh('node-06', 'systemctl kill -s STOP gridagent');
    try {
      const frozen = gridops(['apply', short, '--yes', ...playbooks], { timeoutMs: 120_000 });
      expect(frozen.status).toBe(1);
      expect(frozen.stdout).toContain('Apply: 0 change(s)');
      expect(frozen.stdout).toContain('Overlay: NOT converged');
      expect(frozen.stderr).toMatch(/error: every change was applied, but the overlay did not converge within 10 s: .*node-06: not answering/);
      expect(frozen.stderr).toContain('hint: `gridops status FILE`');
      const recorded = JSON.parse(readFileSync(join(lab.dir, '.gridops', 'lab.state.json'), 'utf8')) as { overlay: { converged: boolean; waitingFor: string[] } };
      expect(recorded.overlay.converged).toBe(false);
      expect(recorded.overlay.waitingFor).toContain('node-06: not answering');
      // --no-verify skips the phase.
      expect(gridops(['apply', short, '--yes', '--no-verify', ...playbooks], { timeoutMs: 120_000 }).status).toBe(0);
    } finally {
      await lab.ssh('node-06', 'systemctl kill -s CONT gridagent');
    }
    expect(status('--wait', '30s').code).toBe(0);
  });
});
