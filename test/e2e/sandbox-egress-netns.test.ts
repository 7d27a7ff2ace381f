import { jest } from '@jest/globals';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { rateBits } from '../../src/resources/egress-config.js';
import { ifbOf, sandboxTcBatch } from '../../src/resources/sandbox-egress.js';
import { describeAsRoot } from './support/cli.js';

/**
 * The sandbox VM's egress shaping, on real tc: two network namespaces this test makes stand in
 * for the VM and the host, joined by a veth whose host end carries the sandbox tap's name. The
 * batch file the sandbox-egress resource writes (tap ingress -> mirred -> ifb -> htb) is loaded
 * into the host namespace, and iperf3 from the "VM" is held to the limit. The real sandbox VM's
 * e2e comes with the hypervisor work.
 */
jest.setTimeout(120_000);

const TAP = 'gs-sandbox';
const tag = `gq${process.pid % 100000}`;
const vmNs = `${tag}-vm`;
const hostNs = `${tag}-host`;
const sh = (cmd: string[], input?: string) => execFileSync(cmd[0]!, cmd.slice(1), { input, encoding: 'utf8' });
const inHost = (...cmd: string[]) => ['nsenter', `--net=/run/netns/${hostNs}`, ...cmd];

describeAsRoot('sandbox egress shaping on real tc (network namespaces)', () => {
  beforeAll(() => {
    sh(['sh', '-c', 'command -v iperf3 >/dev/null || { echo "iperf3 is missing: apt-get install iperf3" >&2; exit 1; }']);
    sh(['ip', 'netns', 'add', vmNs]);
    sh(['ip', 'netns', 'add', hostNs]);
    sh(['ip', '-n', vmNs, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', TAP, 'netns', hostNs]);
    sh(['ip', '-n', vmNs, 'addr', 'add', '10.253.0.2/24', 'dev', 'eth0']);
    sh(['ip', '-n', hostNs, 'addr', 'add', '10.253.0.1/24', 'dev', TAP]);
    for (const [ns, dev] of [[vmNs, 'eth0'], [hostNs, TAP], [vmNs, 'lo'], [hostNs, 'lo']] as const) sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  });
  afterAll(async () => {
    // Deleting the namespaces deletes their veth and ifb devices with them.
    for (const ns of [vmNs, hostNs]) await execa('ip', ['netns', 'del', ns], { reject: false });
  });

  /** Mbit/s of one iperf3 flow from the "VM" to the "host". */
  const flow = async (port: number): Promise<number> => {
    const [command, ...args] = inHost('iperf3', '-s', '-1', '-p', String(port));
    const server = execa(command!, args, { reject: false });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const client = await execa('nsenter', [`--net=/run/netns/${vmNs}`, 'iperf3', '-c', '10.253.0.1', '-p', String(port), '-t', '3', '-J'], { timeout: 30_000 });
      return (JSON.parse(client.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e6;
    } finally {
      server.kill('SIGTERM');
      await server;
    }
  };

  it('holds what the VM sends to the limit, and the VM is unlimited once the ingress qdisc is gone', async () => {
    sh(inHost('ip', 'link', 'add', ifbOf(TAP), 'type', 'ifb'));
    sh(inHost('ip', 'link', 'set', 'dev', ifbOf(TAP), 'up'));
    sh(inHost('tc', '-batch', '-'), sandboxTcBatch(TAP, rateBits(100)));
    const limited = await flow(5301);
    sh(inHost('tc', 'qdisc', 'del', 'dev', TAP, 'ingress'));
    const free = await flow(5302);
    // eslint-disable-next-line no-console
    console.log(`sandbox egress (namespaces): 100 Mbit/s limit measured ${limited.toFixed(1)} Mbit/s; without it ${free.toFixed(0)} Mbit/s`);
    expect(Math.abs(limited - 100) / 100).toBeLessThan(0.1);
    expect(free).toBeGreaterThan(3 * limited);
  });
});
