import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeLab } from './support/lab.js';
import { gridops, ROOT } from './support/cli.js';
import { agentLogsDuring, leaderGaps, longestSilence } from './support/leader-gaps.js';
import { parseStatusSamples, statusSamplerScript } from './support/status-sampler.js';
import { sandboxMac, sandboxUuid } from '../../src/resources/sandbox-names.js';

/**
 * gridagent deployed by gridops onto systemd containers, running on the nodes' own Node.js
 * (Debian 12's nodejs 18): the playbook installs it, the agents elect one super peer per
 * sub-grid, the grid key stays secret, and a killed super peer is replaced.
 */
jest.setTimeout(600_000);

// Three nodes per sub-grid: a sub-grid of two cannot elect a successor while its super peer is
// down (a majority of 2 voters is 2), so with two the old node, restarted by systemd, may win again.
describeLab('plain apply: the grid workflow deploys node-base, qos and gridagent (Node 18, systemd containers)', { kind: 'container', nodes: 6, subgrids: 2 }, (lab) => {
  // No --playbook: the topology decides the whole job (node-base, qos, agent), as a user runs it.
  const playbooks: string[] = [];
  const status = (...extra: string[]) => {
    const r = gridops(['status', lab.topology, '--json', ...extra], { timeoutMs: 120_000 });
    return { code: r.status, data: JSON.parse(r.stdout) as { nodes: Array<{ node: string; subgrid: string; applied: string; agent?: { role: string; term: number } }>; superPeers: Record<string, string[]>; regionPeers: Record<string, string[]> } };
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
    // One plain apply ran the whole workflow, phase by phase: node-base's identity, qos' slice, the agent.
    expect(apply.stdout).toMatch(/\+ file \/etc\/gridops\/node\.json/);
    expect(apply.stdout).toMatch(/systemd-unit grid\.slice/);
    for (const node of ['node-01', 'node-06']) {
      expect((await lab.ssh(node, 'systemctl is-active gridagent grid.slice')).stdout.trim().split('\n')).toEqual(['active', 'active']);
      expect(JSON.parse((await lab.ssh(node, 'cat /etc/gridops/node.json')).stdout)).toMatchObject({ node });
    }
    // --strict, as monitoring runs it: every node applied with this topology, the overlay converged.
    const { code, data } = status('--strict', '--wait', '30s');
    expect(code).toBe(0);
    expect((data as { failures?: unknown[] }).failures).toEqual([]);
    // Applied with this topology and the grid's own workflow.
    expect(data.nodes.map((n) => n.applied)).toEqual(Array(6).fill('in-sync'));
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
    expect(again.stdout).toContain('Apply: 0 changes');
    expect(again.stdout).toMatch(/Overlay: converged/);

    // A frozen agent: systemd still calls it active, so apply has nothing to change, but it never answers.
    // The same grid with a 10 s health timeout, beside the lab topology so that it shares its state and key.
    const short = join(lab.dir, 'topology-10s.yaml');
    writeFileSync(short, `${readFileSync(lab.topology, 'utf8')}\nrollout: { healthTimeout: 10s }\n`);
    await lab.ssh('node-06', 'systemctl kill -s STOP gridagent');
    try {
      const frozen = gridops(['apply', short, '--yes', ...playbooks], { timeoutMs: 120_000 });
      expect(frozen.status).toBe(1);
      expect(frozen.stdout).toContain('Apply: 0 changes');
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

  it("a super peer renamed at the same address is renamed, not decommissioned: it leaves under the old name, its VM takes the new name's identity only with --replace-sandbox, the overlay and the state know only the new name; then renamed back", async () => {
    // The grid's own topology (the test before applied a variant of it), so the rename is the only difference.
    expect(gridops(['apply', lab.topology, '--yes'], { timeoutMs: 300_000 }).status).toBe(0);
    const host = status('--wait', '30s').data.superPeers['region-1/subgrid-2']![0]!; // the lab's name for the host: what lab.ssh reaches
    const newName = host.replace(/^node-0/, 'node-1');
    const address = lab.nodes.find((n) => n.name === host)!.address;
    const run = async (command: string, node = host) => (await lab.ssh(node, command)).stdout.trim();
    const virsh = (args: string) => run(`virsh -q -c qemu:///system ${args}`);
    const vm = async () => ({ uuid: await virsh('domuuid gridops-sandbox'), mac: /52:54:00(:[0-9a-f]{2}){3}/.exec(await virsh('domiflist gridops-sandbox'))?.[0], pid: await run('cat /run/libvirt/qemu/gridops-sandbox.pid'), state: await virsh('domstate gridops-sandbox') });
    const stateHosts = () => Object.keys((JSON.parse(readFileSync(join(lab.dir, '.gridops', 'lab.state.json'), 'utf8')) as { hosts: Record<string, unknown> }).hosts).sort();
    const others = ['node-04', 'node-05', 'node-06'].filter((n) => n !== host);

    /** Renames `from` to `to` (same address) from topology `fromFile` into `toFile`, and checks the whole rename on the host. */
    const rename = async (fromFile: string, from: string, to: string, toFile: string) => {
      writeFileSync(toFile, readFileSync(fromFile, 'utf8').replace(`{ name: ${from}, address: ${address} }`, `{ name: ${to}, address: ${address} }`));
      expect(readFileSync(toFile, 'utf8')).toContain(`{ name: ${to}, address: ${address} }`);
      expect(stateHosts()).toContain(from);

      // The plan: a rename, no decommission; the agent leaves under the old name first; the VM's definition is replaced.
      const text = gridops(['plan', toFile]);
      expect(text.status).toBe(0);
      expect(text.stdout).toContain(`${from} → ${to} (${address}): renamed, not decommissioned`);
      expect(text.stdout).toContain('! command leave-under-old-name');
      expect(text.stdout).not.toContain('DECOMMISSION');
      const planned = JSON.parse(gridops(['plan', toFile, '--json']).stdout) as { hosts: Array<{ host: string; address: string; decommission?: boolean; renamedFrom?: string[]; playbooks: string[]; changes: Array<{ id: string; action: string; needsRestart?: string }> }> };
      expect(planned.hosts.map((h) => h.host)).not.toContain(from);
      expect(planned.hosts.some((h) => h.decommission)).toBe(false);
      const renamed = planned.hosts.find((h) => h.host === to)!;
      expect(renamed).toMatchObject({ address, renamedFrom: [from] });
      expect(renamed.playbooks[0]).toBe('agent-rename');
      expect(renamed.changes[0]!.id).toBe('command leave-under-old-name');
      // Not the reset playbook: nothing removed, no sandbox destroyed.
      expect(renamed.changes.filter((c) => c.action === 'delete' || c.id.startsWith('command remove-'))).toEqual([]);
      expect(renamed.changes.find((c) => c.id === 'sandbox-domain gridops-sandbox')?.needsRestart).toMatch(/uuid/);
      // Only the renamed host changes.
      expect(planned.hosts.filter((h) => h.changes.some((c) => c.action !== 'none')).map((h) => h.host)).toEqual([to]);

      // Without --replace-sandbox the new identity is refused, and the VM is left as it was.
      const wasSuperPeer = (JSON.parse(gridops(['status', fromFile, '--json', '--wait', '30s'], { timeoutMs: 120_000 }).stdout) as { superPeers: Record<string, string[]> }).superPeers['region-1/subgrid-2']?.[0] === from;
      const before = await vm();
      expect(before).toMatchObject({ uuid: sandboxUuid('lab', from), mac: sandboxMac('lab', from), state: 'running' });
      const refused = gridops(['apply', toFile, '--yes'], { timeoutMs: 300_000 });
      expect(refused.status).toBe(1);
      expect(refused.stdout + refused.stderr).toMatch(new RegExp(`REFUSED ${to} sandbox-domain gridops-sandbox: .*--replace-sandbox`));
      expect(await vm()).toEqual(before);
      // With it, the definition is replaced and the VM restarted under the new name's UUID and MAC.
      const t0 = Date.now();
      const replaced = gridops(['apply', toFile, '--yes', '--replace-sandbox'], { timeoutMs: 300_000 });
      // eslint-disable-next-line no-console
      console.log(`rename ${from} → ${to}: apply --replace-sandbox (the VM's definition replaced and restarted) took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect(replaced.stderr).not.toMatch(/error/i);
      expect(replaced.status).toBe(0);
      const after = await vm();
      expect(after).toMatchObject({ uuid: sandboxUuid('lab', to), mac: sandboxMac('lab', to), state: 'running' });
      expect(after.pid).not.toBe(before.pid);
      expect(await virsh('dominfo gridops-sandbox')).toMatch(/Autostart:\s+enable/);
      expect(await virsh('list --all --name')).toBe('gridops-sandbox');

      // The agent runs under the new name: its config, its identity file, its own answer.
      expect(await run('systemctl is-active gridagent')).toBe('active');
      expect(await run('grep -x "node: .*" /etc/gridagent/config.yaml')).toBe(`node: "${to}"`);
      expect(JSON.parse(await run('cat /etc/gridops/node.json'))).toMatchObject({ node: to });
      expect(JSON.parse(await run('gridagent status --json'))).toMatchObject({ node: to });
      // The old identity left for good (the leave's log line); a super peer handed its role to another node first.
      const left = await run(`journalctl -u gridagent --no-pager -o cat | grep -F '"node":"${from}","msg":"left the grid for good"' | tail -n 1`);
      expect(left).not.toBe('');
      if (wasSuperPeer) expect(others).toContain((JSON.parse(left) as { successor: string | null }).successor);
      // The overlay has the new name and not the old one, and the sub-grid a super peer.
      const settled = gridops(['status', toFile, '--json', '--strict', '--wait', '60s'], { timeoutMs: 120_000 });
      const overlay = JSON.parse(settled.stdout) as { nodes: Array<{ node: string; applied: string }>; superPeers: Record<string, string[]>; failures?: unknown[] };
      expect(overlay.failures).toEqual([]);
      expect(settled.status).toBe(0);
      expect(overlay.nodes.map((n) => n.node)).toContain(to);
      expect(overlay.nodes.map((n) => n.node)).not.toContain(from);
      expect(overlay.superPeers['region-1/subgrid-2']).toHaveLength(1);
      const superPeer = overlay.superPeers['region-1/subgrid-2']![0]!;
      const superPeerHost = superPeer === to ? host : superPeer;
      const members = JSON.parse(await run('gridagent members --json', superPeerHost)) as Array<{ node: string; status: string }>;
      expect(members.map((m) => m.node).sort()).toEqual([...others, to].sort());
      expect(members.every((m) => m.status === 'alive')).toBe(true);
      // No voter of the sub-grid keeps the old name (a voter for good would leave a quorum short).
      for (const n of [...others, host]) {
        const voters = (JSON.parse(await run('cat /var/lib/gridagent/state.json', n)) as { state: { subgrid: { view: { voters: Array<{ name: string }> } | null } } }).state.subgrid.view?.voters.map((v) => v.name) ?? [];
        expect({ node: n, voters }).toEqual({ node: n, voters: expect.not.arrayContaining([from]) });
        if (n === superPeerHost) expect(voters).toContain(superPeer);
      }
      // The state forgets the old name; the next plan has nothing to do.
      expect(stateHosts()).toContain(to);
      expect(stateHosts()).not.toContain(from);
      expect(gridops(['state', 'list', toFile]).stdout).not.toMatch(new RegExp(`^${from}\\b`, 'm'));
      expect(gridops(['plan', toFile, '--detailed-exitcode']).status).toBe(0);
    };

    const renamedFile = join(lab.dir, 'topology-renamed.yaml');
    const labTopology = readFileSync(lab.topology, 'utf8');
    try {
      await rename(lab.topology, host, newName, renamedFile);
      // Back to the lab's own names (lab.topology gets its own text again), for the tests after this one.
      await rename(renamedFile, newName, host, lab.topology);
    } finally {
      // Failed midway: the lab's names again (best effort), or every test after this one fails for this one's reason.
      if (readFileSync(lab.topology, 'utf8') !== labTopology || stateHosts().includes(newName)) {
        writeFileSync(lab.topology, labTopology);
        gridops(['apply', lab.topology, '--yes', '--replace-sandbox'], { timeoutMs: 300_000 });
      }
    }
  }, 1_800_000);

  const NODES = ['node-01', 'node-02', 'node-03', 'node-04', 'node-05', 'node-06'];
  /** What a refused run must leave as it was, per node: its agent's PID (0: stopped), the agent's files' mtimes and contents. */
  const agentFacts = async (nodes = NODES) => Object.fromEntries(await Promise.all(nodes.map(async (n) => [n, (await lab.ssh(n, "systemctl show -p MainPID --value gridagent; cd /etc/gridagent && stat -c '%n %y' config.yaml grid.key /opt/gridops/agent/gridagent.mjs && sha256sum config.yaml grid.key")).stdout] as const)));
  /** The lab topology with more agent settings (and more text after), beside it so that it shares its state and key. */
  const variant = (name: string, agent: string, extra = '') => {
    const text = readFileSync(lab.topology, 'utf8');
    const changed = text.replace(/^ {2}agent: \{ port: (\d+) \}$/m, `  agent: { port: $1, ${agent} }`);
    expect(changed).not.toBe(text);
    const file = join(lab.dir, name);
    writeFileSync(file, `${changed}${extra}`);
    return file;
  };
  /** The voters the super peer of sub-grid 1 keeps (its state file). */
  const votersOf = async (superPeer: string) => (JSON.parse((await lab.ssh(superPeer, 'cat /var/lib/gridagent/state.json')).stdout) as { state: { subgrid: { view: { voters: Array<{ name: string }> } | null } } }).state.subgrid.view?.voters.map((v) => v.name) ?? [];

  it('--rolling refuses before any change while a voter is down: its agent stopped (the overlay has not converged) or its node unreachable (no budget left in its sub-grid); with it back, the same rolling apply restarts every agent', async () => {
    // A changed agent setting: every node's config.yaml changes, so every agent restarts.
    const changed = variant('topology-http-any.yaml', 'httpAddress: 0.0.0.0', '\nrollout: { healthTimeout: 10s }\n');
    const planned = JSON.parse(gridops(['plan', changed, '--json']).stdout) as { hosts: Array<{ host: string; changes: Array<{ id: string }> }> };
    expect(planned.hosts.filter((h) => h.changes.some((c) => c.id.endsWith('/etc/gridagent/config.yaml'))).map((h) => h.host)).toEqual(NODES);
    const superPeer = status('--wait', '30s').data.superPeers['region-1/subgrid-1']![0]!;
    const down = ['node-01', 'node-02', 'node-03'].find((n) => n !== superPeer)!;
    expect(await votersOf(superPeer)).toContain(down);
    // The down node's sshd refuses connections: a reject rule in its network namespace, deleted after.
    const firewall = (script: string) => spawnSync('nsenter', [`--net=/run/netns/${lab.netnsOf(down)}`, 'nft', '-f', '-'], { input: script, encoding: 'utf8' });
    const t0 = Date.now();
    await lab.ssh(down, 'systemctl stop gridagent');
    try {
      const before = await agentFacts();
      expect(before[down]).toMatch(/^0\n/);

      // Its agent stopped, the node reachable: the overlay must have converged first; within rollout.healthTimeout it did not.
      const stopped = gridops(['apply', changed, '--yes', '--rolling'], { timeoutMs: 120_000 });
      expect(stopped.status).toBe(1);
      expect(stopped.stderr).toMatch(new RegExp(`error: --rolling needs a converged overlay to start from, and it did not converge within 10 s: (.*; )?${down}: not answering(;.*)?; nothing was changed`));
      expect(stopped.stderr).toContain(`hint: see \`gridops status ${changed}\`; bring back the agents it names`);
      expect(await agentFacts()).toEqual(before);

      // The node unreachable: refused from the topology, before the question; 1 of 3 down leaves maxUnavailable 1 nothing...
      expect(firewall('table inet gridops_e2e {\n chain input {\n  type filter hook input priority -10; policy accept;\n  tcp dport 22 reject with tcp reset\n }\n}\n').status).toBe(0);
      const unreachable = gridops(['apply', changed, '--yes', '--rolling'], { timeoutMs: 120_000 });
      expect(unreachable.status).toBe(1);
      expect(unreachable.stderr).toContain(`error: --rolling cannot restart any node of region-1/subgrid-1 and keep it serving: ${down} is down (unreachable), 1 of its 3 nodes, and rollout.maxUnavailable is 1; nothing was changed`);
      expect(unreachable.stderr).toContain(`hint: bring ${down} back (reachable, agent running) and run again, or leave that sub-grid out (--limit '!region-1/subgrid-1')`);
      // ... and maxUnavailable 2 would leave one node, but not a voter: two of three are its super peer's quorum.
      const wider = variant('topology-http-any-2.yaml', 'httpAddress: 0.0.0.0', '\nrollout: { healthTimeout: 10s, maxUnavailable: 2 }\n');
      const voter = gridops(['apply', wider, '--yes', '--rolling'], { timeoutMs: 120_000 });
      expect(voter.status).toBe(1);
      expect(voter.stderr).toContain(`error: --rolling cannot restart a voter of region-1/subgrid-1 and keep its super peer: ${down} is down (unreachable), counted as one of its 3 voters, and its super peer steps down when it hears fewer than 2 of them; nothing was changed`);
      expect(voter.stderr).toContain(`hint: bring ${down} back (reachable, agent running) and run again, or leave that sub-grid out (--limit '!region-1/subgrid-1')`);
      // Nothing was changed on the reachable nodes, nor (read once it is reachable again) on the down one.
      expect(await agentFacts(NODES.filter((n) => n !== down))).toEqual(Object.fromEntries(Object.entries(before).filter(([n]) => n !== down)));
      firewall('delete table inet gridops_e2e');
      expect(await agentFacts()).toEqual(before);
    } finally {
      firewall('delete table inet gridops_e2e');
      await lab.ssh(down, 'systemctl start gridagent');
    }
    // Back: the overlay converges, and the down node is a voter again once stable (autopilot, 10 s).
    expect(status('--strict', '--wait', '60s').code).toBe(0);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !(await votersOf(superPeer)).includes(down); ) await new Promise((r) => setTimeout(r, 500));
    expect(await votersOf(superPeer)).toContain(down);
    const refusals = Date.now() - t0;
    const pids = await agentFacts();
    const t1 = Date.now();
    // The same change with the default health timeout: the 10 s above only hastened the refusals, and six gated batches on busy cores need more.
    const changedDefault = variant('topology-http-any-default.yaml', 'httpAddress: 0.0.0.0');
    let restored = false;
    try {
      const rolled = gridops(['apply', changedDefault, '--yes', '--rolling', '-v'], { timeoutMs: 600_000 });
      expect(rolled.stderr).not.toMatch(/error|warning/i);
      expect(rolled.status).toBe(0);
      expect([...rolled.stderr.matchAll(/batch \d+\/(\d+): /g)]).toHaveLength(6);
      const after = await agentFacts();
      for (const n of NODES) {
        expect(after[n]!.split('\n')[0]).not.toBe(pids[n]!.split('\n')[0]);
        expect((await lab.ssh(n, 'cat /etc/gridagent/config.yaml')).stdout).toContain('0.0.0.0');
      }
      // The lab's own settings again, rolling as well, for the tests after this one.
      const t2 = Date.now();
      expect(gridops(['apply', lab.topology, '--yes', '--rolling'], { timeoutMs: 600_000 }).status).toBe(0);
      expect(gridops(['plan', lab.topology, '--detailed-exitcode']).status).toBe(0);
      restored = true;
      // eslint-disable-next-line no-console
      console.log(`voter down: refusals and recovery ${(refusals / 1000).toFixed(1)} s, the rolling apply once back ${((t2 - t1) / 1000).toFixed(1)} s, the one back to the lab's settings ${((Date.now() - t2) / 1000).toFixed(1)} s`);
    } finally {
      // Failed midway: the lab's settings again at once (best effort), or the tests after this one fail for this one's reason.
      if (!restored) gridops(['apply', lab.topology, '--yes'], { timeoutMs: 300_000 });
    }
  }, 1_800_000);

  it('--rolling --limit counts a node down outside the run against its sub-grid\'s maxUnavailable, though autopilot dropped it from the voters: refused before any change', async () => {
    const changed = variant('topology-http-any.yaml', 'httpAddress: 0.0.0.0', '\nrollout: { healthTimeout: 10s }\n');
    const superPeer = status('--wait', '30s').data.superPeers['region-1/subgrid-1']![0]!;
    const [down, other] = ['node-01', 'node-02', 'node-03'].filter((n) => n !== superPeer) as [string, string];
    await lab.ssh(down, 'systemctl stop gridagent');
    try {
      // Dead to its super peer, then dropped from the voters: two voters left, so no voter check refuses.
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && (await votersOf(superPeer)).includes(down); ) await new Promise((r) => setTimeout(r, 500));
      expect(await votersOf(superPeer)).not.toContain(down);
      const before = await agentFacts();
      const refused = gridops(['apply', changed, '--yes', '--rolling', '--limit', `${superPeer},${other}`], { timeoutMs: 120_000 });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`error: --rolling cannot restart any node of region-1/subgrid-1 and keep it serving: ${down} is outside this run(,| and) (dead to its super peer ${superPeer}|ran the agent, and its super peer ${superPeer} no longer lists it), 1 of its 3 nodes, and rollout.maxUnavailable is 1; nothing was changed`));
      expect(refused.stderr).toContain(`hint: bring ${down} back (agent running) and run again, or leave that sub-grid out (--limit '!region-1/subgrid-1')`);
      expect(await agentFacts()).toEqual(before);
    } finally {
      await lab.ssh(down, 'systemctl start gridagent');
    }
    // Back, and a voter again once stable (autopilot), for the tests after this one.
    expect(status('--strict', '--wait', '60s').code).toBe(0);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !(await votersOf(superPeer)).includes(down); ) await new Promise((r) => setTimeout(r, 500));
    expect(await votersOf(superPeer)).toContain(down);
    expect(gridops(['plan', lab.topology, '--detailed-exitcode']).status).toBe(0);
  }, 900_000);

  it('--rolling refuses a new grid key before any change, naming the hosts: the key on the nodes and every agent stay as they were', async () => {
    const keyFile = join(lab.dir, 'new-grid.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const rekeyed = variant('topology-new-key.yaml', `keyFile: ${keyFile}`);
    const oldKey = readFileSync(join(lab.dir, '.gridops', 'lab.key'), 'utf8');
    const before = await agentFacts();
    for (const n of NODES) expect(before[n]).not.toMatch(/^0\n/);
    const every = gridops(['apply', rekeyed, '--yes', '--rolling'], { timeoutMs: 120_000 });
    expect(every.status).toBe(1);
    expect(every.stderr).toContain('error: --rolling would replace the grid key on every host: agents restarted with the new key cannot hear the ones still on the old, so the first batch would be cut off from its sub-grid; nothing was changed');
    expect(every.stderr).toContain('hint: apply without --rolling, so every agent restarts at once on the new key');
    // A subset names its hosts.
    const some = gridops(['apply', rekeyed, '--yes', '--rolling', '--limit', 'node-02,node-05'], { timeoutMs: 120_000 });
    expect(some.status).toBe(1);
    expect(some.stderr).toContain('error: --rolling would replace the grid key on node-02, node-05: ');
    expect(await agentFacts()).toEqual(before);
    for (const n of NODES) expect((await lab.ssh(n, 'cat /etc/gridagent/grid.key')).stdout.trim()).toBe(oldKey.trim());
    // The lab's topology (its key) has nothing to change.
    expect(gridops(['plan', lab.topology, '--detailed-exitcode']).status).toBe(0);
  });

  it('a rolling upgrade restarts every agent, super peers last, and no sub-grid is ever without a super peer', async () => {
    // The "new version": the agent playbook beside a changed bundle (a playbook's sources are looked up beside it first).
    const upgrade = join(lab.dir, 'upgrade');
    mkdirSync(join(upgrade, 'dist'), { recursive: true });
    copyFileSync(join(ROOT, 'playbooks', 'agent.yaml'), join(upgrade, 'agent.yaml'));
    writeFileSync(join(upgrade, 'dist', 'gridagent.mjs'), `${readFileSync(join(ROOT, 'dist', 'gridagent.mjs'), 'utf8')}\n// rolling upgrade e2e\n`);
    const nodes = ['node-01', 'node-02', 'node-03', 'node-04', 'node-05', 'node-06'];
    const before = status('--wait', '30s').data;

    // Every node samples its own agent's /status every 200 ms into a file (the nodes share the host's clock).
    const sampler = statusSamplerScript(200);
    await Promise.all(nodes.map((n) => lab.ssh(n, `rm -f /root/samples; systemd-run -q --unit=gridops-sampler -p StandardOutput=file:/root/samples node -e ${JSON.stringify(sampler)}`)));
    // The samplers start Node; on a loaded machine that takes a while: begin once every node has sampled.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const counts = await Promise.all(nodes.map(async (n) => Number((await lab.ssh(n, 'wc -l < /root/samples 2>/dev/null || echo 0')).stdout.trim())));
      if (counts.every((c) => c > 0)) break;
    }
    const t0 = Date.now();
    const rolling = gridops(['apply', lab.topology, '--yes', '--rolling', '-v', '--playbook', 'node-base', '--playbook', join(upgrade, 'agent.yaml')], { timeoutMs: 300_000 });
    const t1 = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    const samples = await Promise.all(nodes.map(async (n) => {
      const out = (await lab.ssh(n, 'systemctl stop gridops-sampler; cat /root/samples')).stdout;
      return parseStatusSamples(n, out);
    }));
    expect(rolling.stderr).not.toMatch(/error|warning/i);
    expect(rolling.status).toBe(0);

    // Batches: the four members one by one, then the two super peers.
    const batches = [...rolling.stderr.matchAll(/batch (\d+)\/(\d+): ([\w-, ]+) \((nodes|super peers, which hand their role over)\)/g)].map((m) => ({ hosts: m[3]!.split(', '), kind: m[4] }));
    expect(batches).toHaveLength(6);
    const oldSuperPeers = Object.values(before.superPeers).flat().sort();
    expect(batches.slice(4).flatMap((b) => b.hosts).sort()).toEqual(oldSuperPeers);
    expect(batches.slice(0, 4).every((b) => b.kind === 'nodes' && b.hosts.length === 1)).toBe(true);
    for (const n of nodes) expect((await lab.ssh(n, 'tail -n 1 /opt/gridops/agent/gridagent.mjs')).stdout.trim()).toBe('// rolling upgrade e2e');

    // In every 500 ms window of the rollout, each sub-grid had a node that said it was the super peer.
    const subgrids = { 'subgrid-1': nodes.slice(0, 3), 'subgrid-2': nodes.slice(3) };
    const gaps = leaderGaps(samples.flat(), subgrids, t0, t1);
    // eslint-disable-next-line no-console
    console.log(rolling.stderr.split('\n').filter((l) => l.startsWith('gridops:')).join('\n'));
    // eslint-disable-next-line no-console
    console.log(`rolling upgrade: ${batches.length} batches in ${((t1 - t0) / 1000).toFixed(1)} s, ${samples.flat().length} samples, windows without a super peer: ${gaps.length}, longest sampler silence ${longestSilence(samples.flat(), t0, t1)}`);
    // eslint-disable-next-line no-console
    if (gaps.length) console.log(`gaps:\n${gaps.join('\n')}\n${await agentLogsDuring(lab.ssh.bind(lab), nodes, t0, t1)}`);
    expect(gaps).toEqual([]);
    expect(gridops(['plan', lab.topology, '--detailed-exitcode', '--playbook', 'node-base', '--playbook', join(upgrade, 'agent.yaml')]).status).toBe(0);
    // Ad-hoc playbooks are not the grid's workflow: status no longer calls the nodes in sync.
    expect(status().data.nodes.map((n) => n.applied)).toEqual(Array(6).fill('other-playbooks'));
    // ... which --strict reports as a failure, naming the nodes and the command to run.
    const strict = status('--strict');
    expect(strict.code).toBe(1);
    const failures = (strict.data as { failures?: Array<{ message: string; hint: string }> }).failures ?? [];
    expect(failures.find((f) => f.message.startsWith('not in sync'))).toMatchObject({ message: expect.stringMatching(/^not in sync: node-01 \(other-playbooks\)/), hint: expect.stringContaining(`gridops apply ${lab.topology}`) });
  });

  it("a super peer's node dropped from the topology is decommissioned: a successor takes over, nothing of gridops is left, the state forgets it; reset cleans the rest", async () => {
    // The rolling test left its ad-hoc agent bundle on every node: the grid's own workflow first, so
    // that dropping a node is the only difference.
    expect(gridops(['apply', lab.topology, '--yes', '--rolling'], { timeoutMs: 300_000 }).status).toBe(0);
    expect(gridops(['plan', lab.topology, '--detailed-exitcode']).status).toBe(0);
    const before = status('--wait', '30s').data;
    const victim = before.superPeers['region-1/subgrid-2']![0]!;
    const survivors = ['node-04', 'node-05', 'node-06'].filter((n) => n !== victim);
    const sampler = statusSamplerScript(100);
    await Promise.all(survivors.map((n) => lab.ssh(n, `rm -f /root/shrink; systemd-run -q --unit=gridops-shrink -p StandardOutput=file:/root/shrink node -e ${JSON.stringify(sampler)}`)));
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const counts = await Promise.all(survivors.map(async (n) => Number((await lab.ssh(n, 'wc -l < /root/shrink 2>/dev/null || echo 0')).stdout.trim())));
      if (counts.every((c) => c > 0)) break;
    }
    const smaller = join(lab.dir, 'topology-smaller.yaml');
    const full = readFileSync(lab.topology, 'utf8');
    writeFileSync(smaller, full.split('\n').filter((l) => !l.includes(`name: ${victim},`)).join('\n'));
    try {
      const plan = gridops(['plan', smaller, '--json']);
      const planned = JSON.parse(plan.stdout) as { hosts: Array<{ host: string; decommission?: boolean; changes: Array<{ id: string; action: string }> }> };
      const removal = planned.hosts.find((h) => h.host === victim)!;
      expect(removal.decommission).toBe(true);
      // Removals, and the guarded virsh commands that take the sandbox VM, its network and pool away.
      expect(removal.changes.every((c) => c.action === 'delete' || (c.action === 'run' && c.id.startsWith('command remove-')))).toBe(true);
      expect(removal.changes.map((c) => c.id)).toContain('absent-unit gridagent.service');
      // Only the dropped node changes.
      expect(planned.hosts.filter((h) => h.changes.length).map((h) => h.host)).toEqual([victim]);
      const apply = gridops(['apply', smaller, '--yes'], { timeoutMs: 300_000 });
      expect(apply.status).toBe(0);
      expect(apply.stdout).toMatch(/Overlay: converged/);
      await new Promise((r) => setTimeout(r, 1000));
      const samples = (await Promise.all(survivors.map(async (n) => parseStatusSamples(n, (await lab.ssh(n, 'systemctl stop gridops-shrink; cat /root/shrink')).stdout)))).flat();
      // The longest stretch in which no survivor said it was the super peer (the victim's handover).
      const leading = samples.filter((x) => x.role === 'leader').map((x) => x.at).sort((a, b) => a - b);
      const gaps = leading.slice(1).map((t, i) => t - leading[i]!);
      const longest = Math.max(0, ...gaps);
      // eslint-disable-next-line no-console
      console.log(`decommission of super peer ${victim}: longest time without a super peer among the survivors ${longest} ms (${samples.length} samples)`);
      expect(longest).toBeLessThan(2000);
      // Nothing of gridops is left on it.
      const left = await lab.ssh(victim, 'systemctl is-active gridagent grid.slice; ls -d /etc/gridagent /opt/gridops /etc/gridops /var/lib/gridops /usr/local/bin/gridagent /etc/systemd/system/gridagent.service /etc/systemd/system/grid.slice 2>/dev/null; pgrep -f "[g]ridagent[.]mjs" || true');
      expect(left.stdout.trim().split('\n')).toEqual(['inactive', 'inactive']);
      // The state forgets it, and the grid plans no change.
      const recorded = JSON.parse(readFileSync(join(lab.dir, '.gridops', 'lab.state.json'), 'utf8')) as { hosts: Record<string, unknown> };
      expect(Object.keys(recorded.hosts)).not.toContain(victim);
      expect(gridops(['plan', smaller, '--detailed-exitcode']).status).toBe(0);
      // The survivors' views drop it once their failure detection has run its course.
      const deadline = Date.now() + 20_000;
      let views = '';
      do {
        views = (await Promise.all(survivors.map((n) => lab.ssh(n, 'gridagent status --json')))).map((r) => r.stdout).join('\n');
        if (!views.includes(`"${victim}"`)) break;
        await new Promise((r) => setTimeout(r, 500));
      } while (Date.now() < deadline);
      expect(views).not.toContain(`"${victim}"`);

      // gridops reset: every node of the grid, asked for explicitly; a second reset changes nothing.
      const reset = gridops(['reset', smaller, '--yes', '--limit', survivors[0]!], { timeoutMs: 120_000 });
      expect(reset.status).toBe(0);
      expect((await lab.ssh(survivors[0]!, 'ls -d /etc/gridagent /opt/gridops /etc/gridops 2>/dev/null; systemctl is-active gridagent || true')).stdout.trim()).toBe('inactive');
      const again = gridops(['reset', smaller, '--yes', '--limit', survivors[0]!], { timeoutMs: 120_000 });
      expect(again.status).toBe(0);
      expect(again.stdout).toContain('Nothing to reset: nothing gridops installs is on 1 host.');
      const refused = gridops(['reset', smaller, '--limit', survivors[1]!], { timeoutMs: 60_000 });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('pass --yes');
      expect((await lab.ssh(survivors[1]!, 'systemctl is-active gridagent')).stdout.trim()).toBe('active');
    } finally {
      await Promise.all(survivors.map((n) => lab.ssh(n, 'systemctl stop gridops-shrink 2>/dev/null || true')));
    }
  });
});
