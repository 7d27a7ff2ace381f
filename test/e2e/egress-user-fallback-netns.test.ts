import { jest } from '@jest/globals';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { nftRules, rateBits, tcBatch, type LeafQdisc } from '../../src/resources/egress-config.js';
import { describeAsRoot } from './support/cli.js';

/**
 * The egress limit's fallback, on real tc and nftables: where the kernel cannot match sockets by
 * cgroup, grid traffic is a user's (`meta skuid`). The rules and tc batch the egress-limit
 * resource writes are loaded into a network namespace this test makes (the user is `nobody`
 * here, so the host gets no new user); a flow sent as that user is held to the limit, one sent
 * as root is not: it goes through htb's unshaped default class (with fq_codel where the kernel
 * has it), not htb's direct queue.
 */
jest.setTimeout(120_000);

const tag = `gu${process.pid % 100000}`;
const nodeNs = `${tag}-node`;
const peerNs = `${tag}-peer`;
const sh = (cmd: string[], input?: string) => execFileSync(cmd[0]!, cmd.slice(1), { input, encoding: 'utf8' });
const inNs = (ns: string, ...cmd: string[]) => ['nsenter', `--net=/run/netns/${ns}`, ...cmd];
/** fq_codel where this machine's kernel has it, as the resource's probe decides on a node: a throwaway qdisc on the namespace's lo says. */
const leafQdisc = (ns: string): LeafQdisc => {
  const [command, ...args] = inNs(ns, 'tc', 'qdisc', 'replace', 'dev', 'lo', 'root', 'handle', '1:', 'fq_codel');
  try {
    execFileSync(command!, args, { stdio: 'ignore' });
  } catch {
    return null;
  }
  sh(inNs(ns, 'tc', 'qdisc', 'del', 'dev', 'lo', 'root'));
  return 'fq_codel';
};
/** Bytes sent through an htb class, from `tc -s class show` (iproute2 6.1 prints htb classes as text). */
const classBytes = (ns: string, classId: string) => Number(new RegExp(`class htb ${classId} .*\\n\\s*Sent (\\d+) bytes`).exec(sh(inNs(ns, 'tc', '-s', 'class', 'show', 'dev', 'eth0')))?.[1] ?? 0);

describeAsRoot('egress limit by user (the fallback), real tc and nftables in namespaces', () => {
  beforeAll(() => {
    sh(['sh', '-c', 'for t in iperf3 nft setpriv; do command -v $t >/dev/null || { echo "$t is missing (apt-get install iperf3 nftables util-linux)" >&2; exit 1; }; done']);
    sh(['ip', 'netns', 'add', nodeNs]);
    sh(['ip', 'netns', 'add', peerNs]);
    sh(['ip', '-n', nodeNs, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peerNs]);
    sh(['ip', '-n', nodeNs, 'addr', 'add', '10.252.0.1/24', 'dev', 'eth0']);
    sh(['ip', '-n', peerNs, 'addr', 'add', '10.252.0.2/24', 'dev', 'eth0']);
    for (const ns of [nodeNs, peerNs]) for (const dev of ['eth0', 'lo']) sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  });
  afterAll(async () => {
    for (const ns of [nodeNs, peerNs]) await execa('ip', ['netns', 'del', ns], { reject: false });
  });

  it('holds the user\'s flow to egressMbit, and root\'s is not limited', async () => {
    const leaf = leafQdisc(nodeNs);
    sh(inNs(nodeNs, 'tc', '-batch', '-'), tcBatch('eth0', rateBits(100), leaf));
    sh(inNs(nodeNs, 'nft', '-f', '-'), nftRules({ by: 'user', user: 'nobody' }));
    const servers = [5401, 5402].map((port) => {
      const [command, ...args] = inNs(peerNs, 'iperf3', '-s', '-1', '-p', String(port));
      return execa(command!, args, { reject: false });
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const client = (port: number, asUser: boolean) => {
        const iperf = ['iperf3', '-c', '10.252.0.2', '-p', String(port), '-t', '3', '-J'];
        const [command, ...args] = inNs(nodeNs, ...(asUser ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...iperf] : iperf));
        return execa(command!, args, { timeout: 30_000 }).then((r) => (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e6);
      };
      // One after the other: the concurrent case is the container e2e's; here, on a loaded 2-core
      // machine, a root flow at full speed in the same namespace starved the user's (82.7 for 100).
      const user = await client(5401, true);
      const root = await client(5402, false);
      // eslint-disable-next-line no-console
      console.log(`egress by user (fallback): 100 Mbit/s limit, the user's flow ${user.toFixed(1)} Mbit/s, root's ${root.toFixed(0)} Mbit/s`);
      expect(Math.abs(user - 100) / 100).toBeLessThan(0.1);
      expect(root).toBeGreaterThan(3 * user);
      // root's flow went through the default class (1e9d:20), none of it through htb's direct queue.
      expect(classBytes(nodeNs, '1e9d:20')).toBeGreaterThan(100_000_000);
      expect(sh(inNs(nodeNs, 'tc', '-j', 'qdisc', 'show', 'dev', 'eth0'))).toContain('"direct_packets_stat":0,');
      if (leaf) expect(sh(inNs(nodeNs, 'tc', 'qdisc', 'show', 'dev', 'eth0'))).toMatch(/qdisc fq_codel 20: parent 1e9d:20/);
    } finally {
      for (const s of servers) s.kill('SIGTERM');
      await Promise.all(servers);
    }
  });
});
