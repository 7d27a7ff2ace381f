/**
 * Two SSH features through the gridops binary against the real sshd of a netns lab:
 * - `--persist`: the first run starts the keeper, the next runs reuse its connections (each lab
 *   host's sshd logs one login per connection), its socket is private, a changed known_hosts is a
 *   new keeper that verifies afresh, `--persist 0s` ends it, and `--accept-new-host-keys` runs
 *   connect directly;
 * - a one-hop `ProxyJump` from `~/.ssh/config` (a HOME of the test's own): a node whose sshd takes
 *   connections from the jump host alone (nft in its network namespace) is planned and applied
 *   through the jump host, both host keys checked against known_hosts; a wrong key for the jump
 *   host stops the run before any change; with `--persist`, the keeper keeps both connections.
 * Needs `npm run build` (the CLI and the keeper run from bin/ and dist/).
 */
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './support/until.js';
import { makeKey } from '../transport/sshd-harness.js';
import { gridops, type CliResult } from './support/cli.js';
import { describeLab } from './support/lab.js';

// Each case runs a handful of CLI runs of 60 s at most each (gridops()'s bound below).
jest.setTimeout(420_000);
const RUN_MS = 60_000;

// A GRIDOPS_PERSIST of the caller's would make every run below a kept one.
delete process.env.GRIDOPS_PERSIST;

describeLab('SSH through the CLI: --persist and ProxyJump from ~/.ssh/config (netns lab, real sshd)', { kind: 'netns', nodes: 2 }, (lab) => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-e2e-sshcli-'));
  const home = join(dir, 'home');
  const keeperDir = join(dir, 'keeper');
  const playbook = join(dir, 'marker.yaml');
  const MARKER = '/etc/gridops-e2e-sshcli';
  let address: Record<string, string> = {};
  let hostLine: Record<string, string> = {};
  let otherKey: string;

  const node = (name: string) => lab.state().nodes.find((n) => n.name === name)!;
  /** Logins the node's sshd accepted so far (it logs one per connection, INFO). */
  const logins = (name: string) => (readFileSync(node(name).log!, 'utf8').match(/Accepted publickey for root from \S+/g) ?? []);
  /** A file on the node, read in its own mount namespace (not over SSH: that would be a login). */
  const onNode = (name: string, command: string) => execFileSync('nsenter', ['-t', String(node(name).pid), '-m', '--', 'sh', '-c', command], { encoding: 'utf8' });
  const marker = (name: string) => onNode(name, `cat ${MARKER} 2>/dev/null || echo absent`);
  /** known_hosts with each node's line, or another key for the nodes in `wrong`. */
  const knownHosts = (file: string, wrong: string[] = []) => {
    writeFileSync(file, Object.keys(address).map((n) => (wrong.includes(n) ? `${address[n]} ${otherKey}\n` : `${hostLine[n]}\n`)).join(''));
    return file;
  };
  /** A topology of these nodes (by the lab's addresses) with this known_hosts and no jump host. */
  const topology = (file: string, kh: string, nodes: string[]) => {
    writeFileSync(file, [
      'apiVersion: gridops/v1',
      'kind: Grid',
      `metadata: { name: sshcli }`,
      `defaults: { ssh: { user: root, identityFile: ${lab.identity}, knownHosts: ${kh} } }`,
      'regions:',
      '  - name: r1',
      '    regionPeerName: r1.example.org',
      '    subgrids:',
      '      - name: s1',
      '        nodes:',
      ...nodes.map((n) => `          - { name: ${n}, address: ${address[n]} }`),
      '',
    ].join('\n'));
    return file;
  };
  /** The run's exit status, its output attached to a failure. */
  const exited = (r: CliResult, status: number) => expect({ status: r.status, output: r.status === status ? '' : `${r.stdout}\n${r.stderr}` }).toEqual({ status, output: '' });
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => gridops(args, { timeoutMs: RUN_MS, env: { HOME: home, SSH_AUTH_SOCK: '', GRIDOPS_KEEPER_DIR: keeperDir, ...env } });

  beforeAll(() => {
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(playbook, ['name: e2e-sshcli', 'resources:', `  - file: { path: ${MARKER}, content: "applied\\n", mode: "0644", owner: root, group: root }`, ''].join('\n'));
    const labKh = readFileSync(lab.knownHosts, 'utf8').trim().split('\n');
    for (const n of lab.nodes) {
      address[n.name] = n.address;
      hostLine[n.name] = labKh.find((l) => l.startsWith(`${n.address} `))!;
      expect(hostLine[n.name]).toBeDefined();
    }
    otherKey = makeKey(join(dir, 'other_host_key')).pub.split(' ').slice(0, 2).join(' ');
  });

  afterAll(() => {
    // Keepers our runs started and a failed case left running: ended by PID.
    for (const pid of keeperPids()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Ended by itself since the scan (ESRCH): nothing left to end, and the clean-up below still runs.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** The keeper processes of this test: titled `gridops-keeper` (keeper-main.ts), with our HOME (the keeper keeps HOME). */
  const keeperPids = (): number[] =>
    readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
      try {
        const title = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return title.startsWith('gridops-keeper') && readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`HOME=${home}`) ? [Number(p)] : [];
      } catch {
        return [];
      }
    });
  /** Whether the process runs (not gone, not a zombie left for its reaper: the keeper is detached). */
  const running = (pid: number) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  const sockets = () => (existsSync(keeperDir) ? readdirSync(keeperDir).filter((f) => f.endsWith('.sock')) : []);

  describe('--persist DURATION', () => {
    it('the first run starts the keeper (socket 0600 in a 0700 directory); the next plan and apply reuse its connections: no host sees a login', () => {
      const kh = knownHosts(join(dir, 'known_hosts'));
      const topo = topology(join(dir, 'persist.yaml'), kh, ['node-01', 'node-02']);
      const run = (verb: string, ...extra: string[]) => cli([verb, topo, '--playbook', playbook, '--state-dir', join(dir, 'state-persist'), ...extra]);
      const before = { n1: logins('node-01').length, n2: logins('node-02').length };

      const first = run('plan', '--persist', '60s', '--detailed-exitcode');
      exited(first, 2);
      // The keeper made one connection per host, and lives on after the run.
      expect({ n1: logins('node-01').length, n2: logins('node-02').length }).toEqual({ n1: before.n1 + 1, n2: before.n2 + 1 });
      const pids = keeperPids();
      expect(pids).toHaveLength(1);
      expect(sockets()).toHaveLength(1);
      expect(statSync(keeperDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(keeperDir, sockets()[0]!)).mode & 0o777).toBe(0o600);

      const seen = { n1: logins('node-01').length, n2: logins('node-02').length };
      const apply = run('apply', '--persist', '60s', '--yes', '-v');
      exited(apply, 0);
      expect(apply.stdout).toMatch(/Apply: 2 changes on 2 hosts/);
      const plan = run('plan', '--persist', '60s', '--detailed-exitcode');
      exited(plan, 0);
      expect(plan.stdout).toContain('No changes.');
      // Neither run logged in anywhere: their work went over the kept connections.
      expect({ n1: logins('node-01').length, n2: logins('node-02').length }).toEqual(seen);
      expect(keeperPids()).toEqual(pids);
      expect({ n1: marker('node-01'), n2: marker('node-02') }).toEqual({ n1: 'applied\n', n2: 'applied\n' });
    });

    it("a changed host key in known_hosts is not trusted through the kept connection: the run reaches a new keeper, which refuses the host, and nothing changes", async () => {
      const kh = join(dir, 'known_hosts');
      const topo = join(dir, 'persist.yaml');
      const run = (verb: string, ...extra: string[]) => cli([verb, topo, '--playbook', playbook, '--state-dir', join(dir, 'state-persist'), ...extra]);
      const kept = keeperPids();
      expect(kept).toHaveLength(1); // the one of the case above
      onNode('node-01', `echo tampered > ${MARKER}`);
      onNode('node-02', `echo tampered > ${MARKER}`);
      const seen = { n1: logins('node-01').length, n2: logins('node-02').length };
      try {
        knownHosts(kh, ['node-01']);
        const refused = run('apply', '--persist', '60s', '--yes');
        exited(refused, 1);
        expect(refused.stdout + refused.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
        expect(refused.stdout + refused.stderr).toContain(`offered by ${address['node-01']} `);
        // node-02 was connected afresh by the new keeper (its kept connection is the old keeper's); node-01 refused before login.
        expect({ n1: logins('node-01').length, n2: logins('node-02').length }).toEqual({ n1: seen.n1, n2: seen.n2 + 1 });
        expect(sockets()).toHaveLength(2);
        expect({ n1: marker('node-01'), n2: marker('node-02') }).toEqual({ n1: 'tampered\n', n2: 'tampered\n' });
        // The new keeper ends after a --persist 0s run (refused again, changing nothing).
        const newKeeper = keeperPids().filter((p) => !kept.includes(p));
        expect(newKeeper).toHaveLength(1);
        exited(run('plan', '--persist', '0s'), 1);
        expect(await until(() => keeperPids().length === 1, 5000)).toBe(true);
        expect(keeperPids()).toEqual(kept);
      } finally {
        knownHosts(kh);
      }
      // The file as it was: the old keeper again, on its kept connections.
      const again = { n1: logins('node-01').length, n2: logins('node-02').length };
      const fix = run('apply', '--persist', '60s', '--yes');
      exited(fix, 0);
      expect({ n1: marker('node-01'), n2: marker('node-02') }).toEqual({ n1: 'applied\n', n2: 'applied\n' });
      expect({ n1: logins('node-01').length, n2: logins('node-02').length }).toEqual(again);
    });

    it('--persist 0s uses the kept connections once more, then the keeper ends: its socket and its process are gone', async () => {
      const topo = join(dir, 'persist.yaml');
      const pids = keeperPids();
      expect(pids).toHaveLength(1);
      const seen = { n1: logins('node-01').length, n2: logins('node-02').length };
      const last = cli(['plan', topo, '--playbook', playbook, '--state-dir', join(dir, 'state-persist'), '--persist', '0s', '--detailed-exitcode']);
      exited(last, 0);
      expect({ n1: logins('node-01').length, n2: logins('node-02').length }).toEqual(seen);
      expect(await until(() => sockets().length === 0 && !running(pids[0]!), 5000)).toBe(true);
    });

    it('with --accept-new-host-keys the run connects directly and says so once: no keeper starts', () => {
      const topo = join(dir, 'persist.yaml');
      expect(keeperPids()).toEqual([]);
      const seen = { n1: logins('node-01').length, n2: logins('node-02').length };
      const direct = cli(['plan', topo, '--playbook', playbook, '--state-dir', join(dir, 'state-persist'), '--persist', '60s', '--accept-new-host-keys', '--detailed-exitcode']);
      exited(direct, 0);
      expect(direct.stderr.match(/warning: --persist is not used with --accept-new-host-keys/g)).toHaveLength(1);
      expect({ n1: logins('node-01').length, n2: logins('node-02').length }).toEqual({ n1: seen.n1 + 1, n2: seen.n2 + 1 });
      expect({ keepers: keeperPids(), sockets: sockets() }).toEqual({ keepers: [], sockets: [] });
    });
  });

  describe('ProxyJump from ~/.ssh/config', () => {
    const table = 'gridops_e2e_sshcli';
    const netns = () => lab.netnsOf('node-02');
    const configFile = () => join(home, '.ssh', 'config');

    beforeAll(() => {
      // node-02 takes SSH from node-01 alone: this machine's own connects are reset.
      for (const rule of [
        `add table inet ${table}`,
        `add chain inet ${table} input { type filter hook input priority 0; policy accept; }`,
        `add rule inet ${table} input tcp dport 22 ip saddr != ${address['node-01']} reject with tcp reset`,
      ]) execFileSync('ip', ['netns', 'exec', netns(), 'nft', rule]);
    });
    afterAll(() => {
      rmSync(configFile(), { force: true });
      execFileSync('ip', ['netns', 'exec', netns(), 'nft', 'delete', 'table', 'inet', table]);
    });

    it('plans and applies a node reachable only through the jump host ~/.ssh/config names, both host keys verified from known_hosts', () => {
      const kh = knownHosts(join(dir, 'known_hosts_jump'));
      const topo = topology(join(dir, 'jump.yaml'), kh, ['node-02']);
      const run = (verb: string, ...extra: string[]) => cli([verb, topo, '--playbook', playbook, '--state-dir', join(dir, 'state-jump'), ...extra]);
      onNode('node-02', `rm -f ${MARKER}`);
      // Without the config, the node cannot be reached.
      rmSync(configFile(), { force: true });
      const direct = run('plan');
      exited(direct, 1);
      expect(direct.stdout + direct.stderr).toMatch(/refused/i);

      writeFileSync(configFile(), `Host ${address['node-02']}\n  ProxyJump root@${address['node-01']}\n`, { mode: 0o600 });
      const jumpLogins = logins('node-01').length;
      const plan = run('plan', '--detailed-exitcode');
      exited(plan, 2);
      const apply = run('apply', '--yes');
      exited(apply, 0);
      expect(marker('node-02')).toBe('applied\n');
      exited(run('plan', '--detailed-exitcode'), 0);
      // Every login on node-02 came from node-01, and each run logged in to node-01 once.
      expect(logins('node-02').slice(-3)).toEqual(Array(3).fill(`Accepted publickey for root from ${address['node-01']}`));
      expect(logins('node-01').length).toBe(jumpLogins + 3);
    });

    it("a wrong host key for the jump host in known_hosts: refused, naming it, and nothing changes on the node behind it", () => {
      const kh = knownHosts(join(dir, 'known_hosts_jump'), ['node-01']);
      const topo = topology(join(dir, 'jump.yaml'), kh, ['node-02']);
      writeFileSync(configFile(), `Host ${address['node-02']}\n  ProxyJump root@${address['node-01']}\n`, { mode: 0o600 });
      onNode('node-02', `echo tampered > ${MARKER}`);
      const seen = { n1: logins('node-01').length, n2: logins('node-02').length };
      const apply = cli(['apply', topo, '--playbook', playbook, '--state-dir', join(dir, 'state-jump'), '--yes']);
      exited(apply, 1);
      const out = apply.stdout + apply.stderr;
      // The jump host's key is the one named (a wrong key for the node behind it names the node's address).
      expect(out).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
      expect(out).toContain(`offered by ${address['node-01']} `);
      expect(marker('node-02')).toBe('tampered\n');
      expect({ n1: logins('node-01').length, n2: logins('node-02').length }).toEqual(seen);
    });

    it('--persist through the jump host: the keeper keeps both connections, the next run logs in nowhere, and --persist 0s ends it', async () => {
      const kh = knownHosts(join(dir, 'known_hosts_jump'));
      const topo = topology(join(dir, 'jump.yaml'), kh, ['node-02']);
      writeFileSync(configFile(), `Host ${address['node-02']}\n  ProxyJump root@${address['node-01']}\n`, { mode: 0o600 });
      const run = (...extra: string[]) => cli(['apply', topo, '--playbook', playbook, '--state-dir', join(dir, 'state-jump'), '--yes', ...extra]);
      onNode('node-02', `echo tampered > ${MARKER}`);
      expect(keeperPids()).toEqual([]);
      const before = { n1: logins('node-01').length, n2: logins('node-02').length };
      exited(run('--persist', '60s'), 0);
      expect({ n1: logins('node-01').length, n2: logins('node-02').length }).toEqual({ n1: before.n1 + 1, n2: before.n2 + 1 });
      const pids = keeperPids();
      expect(pids).toHaveLength(1);
      onNode('node-02', `echo tampered > ${MARKER}`);
      exited(run('--persist', '0s'), 0);
      expect(marker('node-02')).toBe('applied\n');
      expect({ n1: logins('node-01').length, n2: logins('node-02').length }).toEqual({ n1: before.n1 + 1, n2: before.n2 + 1 });
      expect(await until(() => sockets().length === 0 && !running(pids[0]!), 5000)).toBe(true);
    });
  });
});
