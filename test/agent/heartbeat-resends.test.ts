import { leaderOf, smallCluster } from './sim-helpers.js';

/** Heartbeats a member sends its leader while no answer arrives: resends for lost answers, none to a leader that said it runs late. */
describe('heartbeat resends', () => {
  function setup(): { network: ReturnType<typeof smallCluster>['network']; leader: string; member: string; heartbeats: () => number } {
    // Eight nodes: the super peer, 4 mirrors and 3 plain members, which hear their leader only in the hbAck.
    const { network, names } = smallCluster(8);
    network.runUntil(8_000);
    const leader = leaderOf(network, names)!;
    const member = names.find((name) => name !== leader && network.core(name)!.status().role === 'member')!;
    let sent = 0;
    network.onSend((from, out) => {
      if (from === member && out.message.type === 'hb') sent++;
    });
    return { network, leader, member, heartbeats: () => sent };
  }

  test('an unanswered heartbeat to a leader that runs on time is sent again every 0.2 s (lost answers)', () => {
    const { network, leader, member, heartbeats } = setup();
    network.loseWhere((from, to, message) => from === leader && to === member && message.type === 'hbAck');
    network.runFor(2_000);
    expect(heartbeats()).toBeGreaterThanOrEqual(7);
  });

  test('a leader that says it is slow (hbAck.slow) gets no resends, only the heartbeat each interval', () => {
    const { network, leader, member, heartbeats } = setup();
    // A stalled leader: ticks every 4th tick, so its local health score rises and its answers carry it.
    network.starve(leader, 4);
    network.runFor(3_000);
    const before = heartbeats();
    network.loseWhere((from, to, message) => from === leader && to === member && message.type === 'hbAck');
    network.runFor(2_000);
    expect(heartbeats() - before).toBeLessThanOrEqual(2);
  });
});
