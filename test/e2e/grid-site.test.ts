import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { execa } from 'execa';
import { describeLab } from './support/lab.js';
import { gridops, type CliResult } from './support/cli.js';

/**
 * `apply --site` on a live grid with real agents (systemd containers): a lab of one sub-grid grows
 * by a second, then a third. A new site is refused, changing no host, while an existing host
 * outside it has drift; once the drift is gone it bootstraps only the new nodes, which join the
 * overlay while the existing agents keep their PIDs and every managed file its mtime. An existing
 * host that cannot be reached (its SSH port refused) does not fail the bootstrap of another site,
 * and the run says it was not checked (`notChecked` in `--json`); nor does one fully down (its SSH
 * packets dropped), which is reported after the connect timeout. `--allow-existing-changes` repairs
 * drift outside the site in the same run; a site that names nothing is a usage error before any
 * connection. Last, a node dropped from the topology whose host is cut off: the grid is applied
 * and verified without it, apply exits 1 naming `gridops state rm`, which then forgets it.
 */
// Above the sum of one test's command bounds (jest's timer fires only at an await after a blocking spawnSync).
jest.setTimeout(1_500_000);

const PLAYBOOKS = ['--playbook', 'node-base', '--playbook', 'agent'];
/** A managed file with no handler: editing it is drift that restarts nothing when repaired. */
const IDENTITY = '/etc/gridops/node.json';
/** An nftables table that refuses SSH (a TCP reset, so "connection refused" at once) and nothing else. */
const BLOCK_SSH = ['table inet gridops_e2e_site {', '  chain input {', '    type filter hook input priority 0; policy accept;', '    tcp dport 22 reject with tcp reset', '  }', '}', ''].join('\n');

/** Drops SSH packets instead (no answer at all: the host looks down, a connect timeout). */
const DROP_SSH = BLOCK_SSH.replace('gridops_e2e_site', 'gridops_e2e_site_down').replace('reject with tcp reset', 'drop');
/**
 * A host gone: SSH refused at once (a TCP reset), every other packet in or out dropped, so its
 * agent, still running, neither hears the overlay nor is heard by it.
 */
const CUT_OFF = [
  'table inet gridops_e2e_gone {',
  '  chain input {',
  '    type filter hook input priority -10; policy drop;',
  '    iifname "lo" accept',
  '    tcp dport 22 reject with tcp reset',
  '  }',
  '  chain output {',
  '    type filter hook output priority -10; policy drop;',
  '    oifname "lo" accept',
  '    tcp sport 22 accept',
  '  }',
  '}',
  '',
].join('\n');

interface Snapshot {
  pid: string;
  files: string;
}

/** What `apply --json` prints on stdout (src/phases/apply-outcome.ts). */
interface ApplyJson {
  hosts: Array<{ host: string; status: string }>;
  unreachable: Array<{ host: string; error: string }>;
  notChecked?: string[];
  ms: number;
}

describeLab('apply --site on a live grid with real agents (systemd containers)', { kind: 'container', nodes: 3, subgrids: 1 }, (lab) => {
  const managed = new Map<string, string[]>();
  const names = () => lab.state().nodes.map((n) => n.name);
  const output = (r: CliResult) => `${r.stdout}\n${r.stderr}`;
  const apply = (...args: string[]) => gridops(['apply', lab.topology, '--yes', ...PLAYBOOKS, ...args], { timeoutMs: 600_000 });
  const plan = () => JSON.parse(gridops(['plan', lab.topology, '--json', ...PLAYBOOKS], { timeoutMs: 300_000 }).stdout) as { hosts: Array<{ host: string; changes: Array<{ kind: string; path?: string; unit?: string }> }> };
  /** `status --wait`: exit 0 once every node answers and the overlay converged. */
  const status = () => {
    const r = gridops(['status', lab.topology, '--json', '--wait', '30s'], { timeoutMs: 120_000 });
    return { status: r.status, ...(JSON.parse(r.stdout) as { superPeers: Record<string, string[]>; regionPeers: Record<string, string[]>; nodes: Array<{ node: string; applied: string }> }) };
  };
  const agentActive = async (node: string) => (await lab.ssh(node, 'systemctl is-active gridagent')).stdout.trim();
  /** Whether anything of gridops is on the node: its identity file, the agent's bundle or config, Node.js. */
  const untouched = async (node: string) => (await lab.ssh(node, `! test -e ${IDENTITY} && ! test -e /opt/gridops/agent/gridagent.mjs && ! test -e /etc/gridagent/config.yaml && ! dpkg -s nodejs >/dev/null 2>&1`)).exitCode === 0;

  /** The agent's PID and the mtime (ns) of every file gridops manages on the node. */
  const snapshot = async (nodes: string[]): Promise<Record<string, Snapshot>> => {
    const out: Record<string, Snapshot> = {};
    await Promise.all(
      nodes.map(async (node) => {
        const r = await lab.ssh(node, `systemctl show -p MainPID --value gridagent; stat -c '%n %y' ${managed.get(node)!.join(' ')}`);
        const [pid = '', ...rest] = r.stdout.trim().split('\n');
        out[node] = { pid, files: rest.join('\n') };
      }),
    );
    return out;
  };
  const rememberManaged = (added?: string[]) => {
    for (const h of plan().hosts) if (!added || added.includes(h.host)) managed.set(h.host, managedFiles(h.changes));
  };

  /** Refuses SSH on the node's own network namespace (a TCP reset: "connection refused"); its agent keeps running. */
  const blockSsh = (node: string) => firewall(node, BLOCK_SSH);
  const unblockSsh = (node: string) => dropTable(node, 'gridops_e2e_site');
  /** Loads an nftables script in the node's own network namespace; `dropTable` deletes its table (a no-op when it is not there). */
  const firewall = (node: string, script: string) => execa('nsenter', [`--net=/run/netns/${lab.netnsOf(node)}`, 'nft', '-f', '-'], { input: script });
  const dropTable = (node: string, table: string) => execa('nsenter', [`--net=/run/netns/${lab.netnsOf(node)}`, 'nft', 'delete', 'table', 'inet', table], { reject: false });

  it('deploys the first grid: one sub-grid of three nodes', async () => {
    rememberManaged();
    const applied = apply();
    expect(applied.status).toBe(0);
    const s = status();
    expect(s.status).toBe(0);
    expect(Object.keys(s.superPeers)).toEqual(['region-1/subgrid-1']);
  });

  it('a --site that names nothing in the topology is a usage error (64), before any connection', () => {
    const unknown = apply('--site', 'region-9');
    expect(unknown.status).toBe(64);
    expect(output(unknown)).toMatch(/--site "region-9" is no region or sub-grid of grid lab/);
    expect(output(unknown)).toMatch(/did you mean "region-1"\?/);
    const node = apply('--site', 'node-01');
    expect(node.status).toBe(64);
    expect(output(node)).toMatch(/--site "node-01" is a node, not a region or sub-grid/);
    expect(output(node)).toMatch(/--limit works on single nodes/);
  });

  it('a new sub-grid is refused, changing no host, while an existing host outside it has drift; the hint names --allow-existing-changes', async () => {
    const grown = await lab.grow({ nodes: 6, subgrids: 2, regions: 1 });
    const added = grown.added.map((n) => n.name);
    expect(added).toEqual(['node-04', 'node-05', 'node-06']);
    expect(new Set(lab.state().nodes.filter((n) => added.includes(n.name)).map((n) => `${n.region}/${n.subgrid}`))).toEqual(new Set(['region-1/subgrid-2']));
    // Drift on node-02: its identity file edited by hand (the original kept, mtime and all, to put back).
    await lab.ssh('node-02', `cp -p ${IDENTITY} /root/node.json.orig && echo '{"edited":"by hand"}' > ${IDENTITY}`);
    const planned = plan();
    expect(planned.hosts.filter((h) => h.changes.length > 0).map((h) => h.host).sort()).toEqual(['node-02', ...added]);
    expect(planned.hosts.find((h) => h.host === 'node-02')!.changes.map((c) => c.path)).toEqual([IDENTITY]);
    const before = await snapshot(['node-01', 'node-02', 'node-03']);

    const refused = apply('--site', 'region-1/subgrid-2');
    expect(refused.status).toBe(1);
    expect(output(refused)).toMatch(/--site region-1\/subgrid-2 would leave these existing hosts with planned changes: node-02 \(1\); nothing was changed/);
    expect(output(refused)).toMatch(/--allow-existing-changes/);
    for (const node of added) expect({ node, untouched: await untouched(node) }).toEqual({ node, untouched: true });
    expect((await lab.ssh('node-02', `cat ${IDENTITY}`)).stdout.trim()).toBe('{"edited":"by hand"}');
    expect(await snapshot(['node-01', 'node-02', 'node-03'])).toEqual(before);
  });

  it('with the drift undone, the new sub-grid is bootstrapped: its agents join the overlay, the existing agents keep their PIDs and files', async () => {
    await lab.ssh('node-02', `cp -p /root/node.json.orig ${IDENTITY}`);
    const existing = ['node-01', 'node-02', 'node-03'];
    const added = ['node-04', 'node-05', 'node-06'];
    const before = await snapshot(existing);
    rememberManaged(added);
    const t0 = Date.now();
    const applied = apply('--site', 'region-1/subgrid-2');
    const took = Date.now() - t0;
    // eslint-disable-next-line no-console
    if (applied.status !== 0) console.log(`apply --site failed:\n${applied.stdout.slice(-3000)}\n${applied.stderr.slice(-3000)}`);
    expect(applied.status).toBe(0);
    expect(output(applied)).toMatch(/new site region-1\/subgrid-2: node-04, node-05, node-06; the 3 other hosts plan no change and are not touched/);
    expect(output(applied)).not.toMatch(/warning/i);
    for (const node of added) expect({ node, agent: await agentActive(node) }).toEqual({ node, agent: 'active' });
    expect(await snapshot(existing)).toEqual(before);
    const s = status();
    expect(s.status).toBe(0);
    expect(Object.keys(s.superPeers).sort()).toEqual(['region-1/subgrid-1', 'region-1/subgrid-2']);
    expect(added).toContain(s.superPeers['region-1/subgrid-2']![0]);
    // The run checked that the existing hosts plan no change with this topology: the state says so for them as for the site.
    expect(Object.fromEntries(s.nodes.map((n) => [n.node, n.applied]))).toEqual(Object.fromEntries([...existing, ...added].map((n) => [n, 'other-playbooks'])));
    // eslint-disable-next-line no-console
    console.log(`apply --site region-1/subgrid-2: ${(took / 1000).toFixed(1)} s; super peers ${JSON.stringify(s.superPeers)}, region peer ${s.regionPeers['region-1']?.[0]}`);
    expect(gridops(['plan', lab.topology, '--detailed-exitcode', ...PLAYBOOKS], { timeoutMs: 300_000 }).status).toBe(0);
  });

  it('an existing host that cannot be reached (the region peer, SSH refused) does not fail the bootstrap of another sub-grid, and the run says it was not checked', async () => {
    const regionPeer = status().regionPeers['region-1']![0]!;
    const grown = await lab.grow({ nodes: 9, subgrids: 3, regions: 1 });
    const added = grown.added.map((n) => n.name);
    expect(added).toEqual(['node-07', 'node-08', 'node-09']);
    rememberManaged(added);
    const existing = names().filter((n) => !added.includes(n));
    const before = await snapshot(existing);
    await blockSsh(regionPeer);
    let applied: CliResult;
    let json: CliResult;
    try {
      expect((await lab.ssh(regionPeer, 'true', { timeoutMs: 10_000 })).exitCode).not.toBe(0);
      // The sub-grid by its own name: the other form of a site.
      applied = gridops(['apply', lab.topology, '--yes', ...PLAYBOOKS, '--site', 'subgrid-3'], { timeoutMs: 600_000 });
      // The same run again with --json (the site now plans no change): the result names the host not checked.
      json = gridops(['apply', lab.topology, '--yes', '--json', ...PLAYBOOKS, '--site', 'subgrid-3'], { timeoutMs: 180_000 });
    } finally {
      await unblockSsh(regionPeer);
    }
    // eslint-disable-next-line no-console
    if (applied.status !== 0) console.log(`apply --site failed:\n${applied.stdout.slice(-3000)}\n${applied.stderr.slice(-3000)}`);
    expect(applied.status).toBe(0);
    expect(output(applied)).toContain(`warning: could not check that the existing host ${regionPeer} plans no change (not reached); this run does not touch it`);
    expect(output(applied)).toContain(`UNREACHABLE ${regionPeer} (outside the new site: not touched, not checked for changes)`);
    expect(output(applied)).toMatch(new RegExp(`not ${regionPeer}, outside the new site and not reached`));
    // eslint-disable-next-line no-console
    if (json.status !== 0) console.log(`apply --site --json failed:\n${json.stdout.slice(-3000)}\n${json.stderr.slice(-3000)}`);
    expect(json.status).toBe(0);
    const result = JSON.parse(json.stdout) as ApplyJson;
    expect(result.notChecked).toEqual([regionPeer]);
    expect(result.unreachable).toEqual([{ host: regionPeer, error: expect.stringMatching(/refused/i) }]);
    expect(result.hosts.filter((h) => h.status !== 'unchanged' && h.status !== 'skipped').map((h) => h.host)).toEqual([]);
    // Every progress line on stderr is JSON too.
    for (const line of json.stderr.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
    for (const node of added) expect({ node, agent: await agentActive(node) }).toEqual({ node, agent: 'active' });
    // Reachable again: every existing agent, the region peer's too, kept its PID and every managed file its mtime.
    expect(await snapshot(existing)).toEqual(before);
    const s = status();
    expect(s.status).toBe(0);
    expect(Object.keys(s.superPeers).sort()).toEqual(['region-1/subgrid-1', 'region-1/subgrid-2', 'region-1/subgrid-3']);
    // One region peer among the super peers (a joining sub-grid's super peer may outscore it and take the role over).
    expect(s.regionPeers['region-1']).toHaveLength(1);
    expect(Object.values(s.superPeers).flat()).toContain(s.regionPeers['region-1']![0]);
    // Not checked against this topology, the region peer keeps the record of the one it was applied with.
    expect(Object.fromEntries(s.nodes.map((n) => [n.node, n.applied]))).toEqual(Object.fromEntries(names().map((n) => [n, n === regionPeer ? 'older-topology' : 'other-playbooks'])));
    expect(gridops(['plan', lab.topology, '--detailed-exitcode', ...PLAYBOOKS], { timeoutMs: 300_000 }).status).toBe(0);
  });

  it('--allow-existing-changes widens the run to drift outside the site: repaired in the same run, no agent restarted', async () => {
    const existing = names();
    await lab.ssh('node-05', `echo '{"edited":"by hand"}' > ${IDENTITY}`);
    const before = await snapshot(existing);
    const applied = apply('--site', 'subgrid-3', '--allow-existing-changes');
    // eslint-disable-next-line no-console
    if (applied.status !== 0) console.log(`apply --site --allow-existing-changes failed:\n${applied.stdout.slice(-3000)}\n${applied.stderr.slice(-3000)}`);
    expect(applied.status).toBe(0);
    // The site itself was bootstrapped by the previous run.
    expect(output(applied)).toMatch(/--site subgrid-3: its nodes \(node-07, node-08, node-09\) plan no change: not a new site, nothing to bootstrap/);
    expect(JSON.parse((await lab.ssh('node-05', `cat ${IDENTITY}`)).stdout)).toMatchObject({ node: 'node-05' });
    const after = await snapshot(existing);
    for (const node of existing) {
      expect({ node, pid: after[node]!.pid }).toEqual({ node, pid: before[node]!.pid });
      // Only node-05's identity file was rewritten.
      if (node !== 'node-05') expect({ node, files: after[node]!.files }).toEqual({ node, files: before[node]!.files });
    }
    expect(gridops(['plan', lab.topology, '--detailed-exitcode', ...PLAYBOOKS], { timeoutMs: 300_000 }).status).toBe(0);
  });

  it('an existing host fully down (SSH packets dropped: no answer, a connect timeout) does not hold up a new site: reported after ssh.connectTimeout, named in notChecked, exit 0', async () => {
    const regionPeer = status().regionPeers['region-1']![0]!;
    const grown = await lab.grow({ nodes: 12, subgrids: 4, regions: 1 });
    const added = grown.added.map((n) => n.name);
    expect(added).toEqual(['node-10', 'node-11', 'node-12']);
    rememberManaged(added);
    const existing = names().filter((n) => !added.includes(n));
    const before = await snapshot(existing);
    await firewall(regionPeer, DROP_SSH);
    let applied: CliResult;
    let took: number;
    try {
      // No answer: the probe's own 5 s bound runs out rather than a refusal.
      expect((await lab.ssh(regionPeer, 'true', { timeoutMs: 5_000 })).exitCode).not.toBe(0);
      const t0 = Date.now();
      applied = gridops(['apply', lab.topology, '--yes', '--json', ...PLAYBOOKS, '--site', 'subgrid-4'], { timeoutMs: 300_000 });
      took = Date.now() - t0;
    } finally {
      await dropTable(regionPeer, 'gridops_e2e_site_down');
    }
    // eslint-disable-next-line no-console
    if (applied.status !== 0) console.log(`apply --site (a host down) failed:\n${applied.stdout.slice(-3000)}\n${applied.stderr.slice(-3000)}`);
    expect(applied.status).toBe(0);
    const result = JSON.parse(applied.stdout) as ApplyJson;
    expect(result.notChecked).toEqual([regionPeer]);
    expect(result.unreachable).toEqual([{ host: regionPeer, error: expect.stringContaining('no answer to the TCP connect within 10 s (ssh.connectTimeout)') }]);
    expect(result.hosts.filter((h) => h.status === 'applied').map((h) => h.host).sort()).toEqual(added);
    // From "connecting" to the line that names the host down: the connect timeout (10 s by default), not a hang nor a retry.
    const events = applied.stderr.trim().split('\n').map((line) => JSON.parse(line) as { type: string; message?: string; ms?: number });
    const connecting = events.find((e) => e.type === 'progress' && e.message!.startsWith('connecting to'))!;
    const reported = events.find((e) => e.type === 'progress' && e.message!.startsWith(`${regionPeer}: unreachable`))!;
    expect(reported).toBeDefined();
    const waited = reported.ms! - connecting.ms!;
    expect(events.some((e) => e.type === 'warning' && e.message === `could not check that the existing host ${regionPeer} plans no change (not reached); this run does not touch it`)).toBe(true);
    // eslint-disable-next-line no-console
    console.log(`apply --site subgrid-4 with ${regionPeer} down (SSH dropped): ${(took / 1000).toFixed(1)} s in all, ${(waited / 1000).toFixed(1)} s from connecting to reporting it unreachable`);
    expect(waited).toBeGreaterThanOrEqual(9_500);
    expect(waited).toBeLessThan(25_000);
    for (const node of added) expect({ node, agent: await agentActive(node) }).toEqual({ node, agent: 'active' });
    expect(await snapshot(existing)).toEqual(before);
    const s = status();
    expect(s.status).toBe(0);
    expect(Object.keys(s.superPeers).sort()).toEqual(['region-1/subgrid-1', 'region-1/subgrid-2', 'region-1/subgrid-3', 'region-1/subgrid-4']);
    expect(gridops(['plan', lab.topology, '--detailed-exitcode', ...PLAYBOOKS], { timeoutMs: 300_000 }).status).toBe(0);
  }, 1_100_000);

  // Last: the dropped node stays cut off from the grid and out of its state (nothing after depends on it).
  it('a node dropped from the topology whose host cannot be reached: the grid is applied and verified without it, apply exits 1 naming `gridops state rm`, the agents drop it; state rm forgets it and the next plan has no changes', async () => {
    // The grid's own workflow decommissions (a --playbook run does not); without the sandbox VMs, which this lab does not need.
    const full = join(lab.dir, 'topology-no-sandbox.yaml');
    writeFileSync(full, readFileSync(lab.topology, 'utf8').split('\n').filter((l) => !l.trimStart().startsWith('hypervisor:')).join('\n'));
    const first = gridops(['apply', full, '--yes'], { timeoutMs: 300_000 });
    // eslint-disable-next-line no-console
    if (first.status !== 0) console.log(`apply (the grid's workflow) failed:\n${first.stdout.slice(-3000)}\n${first.stderr.slice(-3000)}`);
    expect(first.status).toBe(0);
    const s = status();
    const group = 'region-1/subgrid-3';
    const members = lab.state().nodes.filter((n) => `${n.region}/${n.subgrid}` === group).map((n) => n.name);
    const superPeer = s.superPeers[group]![0]!;
    const victim = members.find((n) => n !== superPeer && n !== s.regionPeers['region-1']![0])!;
    const survivors = members.filter((n) => n !== victim);
    const address = lab.state().nodes.find((n) => n.name === victim)!.address;
    const total = names().length;
    const smaller = join(lab.dir, 'topology-smaller.yaml');
    writeFileSync(smaller, readFileSync(full, 'utf8').split('\n').filter((l) => !l.includes(`name: ${victim},`)).join('\n'));
    const forget = `\`gridops state rm ${smaller} ${victim}\``;
    const stateHosts = () => Object.keys((JSON.parse(readFileSync(join(lab.dir, '.gridops', 'lab.state.json'), 'utf8')) as { hosts: Record<string, unknown> }).hosts);
    expect(stateHosts()).toContain(victim);

    await firewall(victim, CUT_OFF);
    const cutAt = Date.now();
    try {
      expect((await lab.ssh(victim, 'true', { timeoutMs: 10_000 })).exitCode).not.toBe(0);
      // The plan: its removal, not reached, what the next apply does and how to forget it; exit 1 (a host with an error).
      const planned = gridops(['plan', smaller], { timeoutMs: 120_000 });
      expect(planned.status).toBe(1);
      expect(planned.stdout).toContain(`${victim} (${address}) DECOMMISSION, not reached: it stays in the state, and the next apply tries again`);
      expect(planned.stdout).toContain(`if ${victim} is gone for good, ${forget} forgets it without contacting it`);
      // Only the dropped node is in the plan: the rest of the grid plans no change.
      expect(planned.stdout).toContain(`on 0 of ${total} hosts; 1 host with errors.`);

      const t0 = Date.now();
      const applied = gridops(['apply', smaller, '--yes'], { timeoutMs: 300_000 });
      const took = Date.now() - t0;
      expect(applied.status).toBe(1);
      expect(applied.stderr).toContain(`error: 1 host unreachable: ${victim}, to be decommissioned, was not reached and stays in the state: the next apply tries again`);
      expect(applied.stderr).toContain(`hint: if ${victim} is gone for good, ${forget} forgets it without contacting it; otherwise bring it back and run apply again`);
      // The rest of the grid was verified without it.
      expect(applied.stdout).toMatch(new RegExp(`Overlay: converged in [\\d.]+ s \\(${total - 1} agents\\)\\.`));
      expect(applied.stdout).toMatch(new RegExp(`UNREACHABLE ${victim}: `));
      expect(stateHosts()).toContain(victim);

      // The agents of its sub-grid drop it: dead, then out of the registry and the voters.
      let views = '';
      const deadline = cutAt + 90_000;
      do {
        views = (await Promise.all(survivors.map((n) => lab.ssh(n, 'gridagent status --json; gridagent members --json 2>/dev/null || true')))).map((r) => r.stdout).join('\n');
        if (!views.includes(`"${victim}"`)) break;
        await new Promise((r) => setTimeout(r, 1000));
      } while (Date.now() < deadline);
      const droppedAfter = Date.now() - cutAt;
      // eslint-disable-next-line no-console
      console.log(`decommission of ${victim}, not reached: apply exit ${applied.status} in ${(took / 1000).toFixed(1)} s; ${survivors.join(', ')} dropped it ${(droppedAfter / 1000).toFixed(1)} s after it was cut off`);
      expect(views).not.toContain(`"${victim}"`);
      expect(gridops(['status', smaller, '--wait', '30s'], { timeoutMs: 120_000 }).status).toBe(0);

      // state rm forgets it without contacting it; the next plan has nothing to do.
      const rm = gridops(['state', 'rm', smaller, victim], { timeoutMs: 60_000 });
      expect(rm.status).toBe(0);
      expect(rm.stdout).toContain(`forgot ${victim} (root@${address}:22, ${group}, last applied `);
      expect(rm.stdout).toContain('1 node forgotten, no host contacted');
      expect(stateHosts()).not.toContain(victim);
      const after = gridops(['plan', smaller, '--detailed-exitcode'], { timeoutMs: 120_000 });
      // eslint-disable-next-line no-console
      if (after.status !== 0) console.log(`plan after state rm:\n${after.stdout.slice(-3000)}\n${after.stderr.slice(-3000)}`);
      expect(after.status).toBe(0);
      expect(after.stdout).not.toContain(victim);
    } finally {
      await dropTable(victim, 'gridops_e2e_gone');
    }
  }, 1_400_000);
});

/** The files a plan's changes manage on a host (file resources, and the unit files). */
function managedFiles(changes: Array<{ kind: string; path?: string; unit?: string }>): string[] {
  return changes.flatMap((c) => (c.kind === 'file' && c.path ? [c.path] : c.kind === 'systemd-unit' && c.unit ? [`/etc/systemd/system/${c.unit}`] : []));
}
