import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import type { Message } from '../../src/agent/core/types.js';
import { encodePacket } from '../../src/agent/core/wire.js';
import { NETNS_LAB_NEEDS, NetnsLab } from '../agent/netns-lab.js';
import { describeWithTools } from './support/needs-tools.js';

/**
 * Real packets: five gridagent processes in five network namespaces on a bridge, real UDP
 * multicast and real HMAC. SIGKILL the super peer: every survivor shows the same new super
 * peer in /status within 5 s; restart it: it is a member again within 3 s; a node with the
 * wrong key is ignored and counted in /metrics; a join that does not echo the super peer's
 * current nonce (as one captured before its start would) is dropped and counted.
 */
const BUNDLE = 'dist/gridagent.mjs';
const GRID_KEY = 'e2e-grid-key-0123456789abcdef';
const HTTP_PORT = 7950;

interface Status {
  node: string;
  role: string;
  term: number;
  superPeer: string | null;
  epoch: number;
  members: { name: string; liveness: string; incarnation: number }[];
}

describeWithTools('gridagent over real packets (5 namespaces)', NETNS_LAB_NEEDS, () => {
  let lab: NetnsLab;

  beforeAll(() => {
    if (!existsSync(BUNDLE)) execFileSync(process.execPath, ['scripts/bundle-agent.js'], { stdio: 'inherit' });
    lab = new NetnsLab();
    lab.createBridge();
    const key = lab.writeKey('grid.key', GRID_KEY);
    const wrongKey = lab.writeKey('wrong.key', 'not-the-grid-key-9876543210fedcba');
    for (let index = 1; index <= 6; index++) {
      lab.addNode(index, (address) => ({
        node: `n${index}`,
        region: 'lab',
        subgrid: 'lab-a',
        bind: address,
        port: 7946,
        multicast: '239.192.77.1:7947',
        seeds: [],
        keyFile: index === 6 ? wrongKey : key,
        stateFile: `${lab.dir}/n${index}.state.json`,
        http: { bind: address, port: HTTP_PORT },
        expect: 5,
        regionExpect: 1,
        labels: { lab: 'e2e' },
      }));
    }
  });

  afterAll(() => {
    lab?.close();
  });

  const statusOf = (name: string) => lab.status<Status>(name, HTTP_PORT);

  const metricsOf = async (name: string): Promise<string> => {
    const agent = lab.agents.get(name)!;
    const response = await fetch(`http://${agent.address}:${HTTP_PORT}/metrics`, { signal: AbortSignal.timeout(1000) });
    return response.text();
  };

  const waitFor = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<{ value: T; elapsedMs: number }> => {
    const started = Date.now();
    for (;;) {
      const value = await probe();
      if (value !== null) return { value, elapsedMs: Date.now() - started };
      if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; logs in ${lab.dir}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const agreedSuperPeer = async (names: string[], not?: string): Promise<string | null> => {
    const statuses = await Promise.all(names.map(statusOf));
    if (statuses.some((status) => status === null)) return null;
    const leader = statuses[0]!.superPeer;
    if (leader === null || leader === not || !names.includes(leader)) return null;
    if (!statuses.every((status) => status!.superPeer === leader)) return null;
    const leaderStatus = statuses.find((status) => status!.node === leader)!;
    return leaderStatus.role === 'leader' ? leader : null;
  };

  test('elects one super peer, fails over within 5 s, rejoins within 3 s, ignores a wrong key', async () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    for (const name of five) lab.start(name, BUNDLE);

    const formed = await waitFor('a super peer with 5 live members', 30_000, async () => {
      const leader = await agreedSuperPeer(five);
      if (leader === null) return null;
      const status = await statusOf(leader);
      return status !== null && status.members.filter((member) => member.liveness === 'alive').length === 5 ? leader : null;
    });
    const first = formed.value;
    console.log(`e2e: ${first} super peer of 5 after ${formed.elapsedMs} ms`);

    lab.kill(first, 'SIGKILL');
    const survivors = five.filter((name) => name !== first);
    const failover = await waitFor('a new super peer on every survivor', 10_000, () => agreedSuperPeer(survivors, first));
    console.log(`e2e: SIGKILL ${first} -> ${failover.value} shown by all 4 survivors after ${failover.elapsedMs} ms`);
    expect(failover.elapsedMs).toBeLessThanOrEqual(5_000);

    lab.start(first, BUNDLE);
    const rejoin = await waitFor(`${first} back as a live member`, 10_000, async () => {
      const restarted = await statusOf(first);
      const leader = await statusOf(failover.value);
      if (restarted === null || leader === null) return null;
      const entry = leader.members.find((member) => member.name === first);
      return entry !== undefined && entry.liveness === 'alive' && entry.incarnation === restarted.epoch ? entry : null;
    });
    console.log(`e2e: ${first} restarted and listed alive by ${failover.value} after ${rejoin.elapsedMs} ms (includes process start)`);
    expect(rejoin.elapsedMs).toBeLessThanOrEqual(3_000);

    lab.start('n6', BUNDLE);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const leaderStatus = (await statusOf(failover.value))!;
    expect(leaderStatus.members.map((member) => member.name)).not.toContain('n6');
    const metrics = await metricsOf(failover.value);
    const badMac = /gridagent_dropped_total\{reason="badMac"\} (\d+)/.exec(metrics);
    console.log(`e2e: wrong-key node ignored; ${failover.value} counted ${badMac?.[1] ?? 0} badMac drops`);
    expect(Number(badMac?.[1] ?? 0)).toBeGreaterThan(0);
    const rogue = await statusOf('n6');
    expect(rogue?.superPeer ?? null).not.toBe(failover.value);
    expect(readFileSync(`${lab.dir}/n6.log`, 'utf8')).toContain('gridagent started');

    // A join under the grid key, from an epoch the super peer never saw, that echoes no nonce of
    // its current run: what a join captured before its start looks like when replayed.
    const leaderAddress = lab.agents.get(failover.value)!.address;
    const unvalidatedBefore = Number(/gridagent_dropped_total\{reason="unvalidated"\} (\d+)/.exec(await metricsOf(failover.value))?.[1] ?? 0);
    const join: Message = { type: 'join', tier: 'subgrid', group: 'lab-a', from: 'ghost', to: failover.value, term: leaderStatus.term, incarnation: 7, attrsVersion: 1, eligible: false, score: 1 };
    const socket = createSocket('udp4');
    for (let seq = 1; seq <= 3; seq++) {
      const packet = encodePacket(join, { epoch: 7, seq, nonce: 0x5eed, echo: 0x1234 }, Buffer.from(GRID_KEY));
      await new Promise<void>((resolve) => socket.send(packet, 7946, leaderAddress, () => resolve()));
    }
    socket.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const unvalidated = Number(/gridagent_dropped_total\{reason="unvalidated"\} (\d+)/.exec(await metricsOf(failover.value))?.[1] ?? 0);
    console.log(`e2e: 3 joins without the current nonce: ${failover.value} counted ${unvalidated - unvalidatedBefore} unvalidated drops`);
    expect(unvalidated - unvalidatedBefore).toBe(3);
    expect((await statusOf(failover.value))!.members.map((member) => member.name)).not.toContain('ghost');
  }, 90_000);
});
