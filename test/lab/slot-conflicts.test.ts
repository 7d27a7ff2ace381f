import { addressNetworks, cidrsOverlap, describeNetwork, routeNetworks, slotConflicts, slotShadowingRoutes, wideRouteWarning, type MachineNetwork } from '../../src/lab/slot-conflicts.js';

// A lab slot is 10.231.(16*S).0/20: a route or address of the machine inside it (a VPN's
// 10.0.0.0/8, a LAN on 10.231.0.0/20) would lose its traffic to the lab's bridge, or make the
// nodes unreachable.
describe('slot conflicts: the lab skips slots that hold the machine\'s own networks', () => {
  test('two CIDRs overlap when one contains the other', () => {
    expect(cidrsOverlap('10.0.0.0/8', '10.231.16.0/20')).toBe(true);
    expect(cidrsOverlap('10.231.16.0/20', '10.0.0.0/8')).toBe(true);
    expect(cidrsOverlap('10.231.20.7/32', '10.231.16.0/20')).toBe(true);
    expect(cidrsOverlap('10.231.32.0/24', '10.231.16.0/20')).toBe(false);
    expect(cidrsOverlap('192.168.1.0/24', '10.231.0.0/20')).toBe(false);
  });

  const vpn: MachineNetwork = { network: '10.0.0.0/8', dev: 'tun0', source: 'route' };
  const lan: MachineNetwork = { network: '10.231.0.0/20', dev: 'eth0', source: 'route' };

  test('a LAN on 10.231.0.0/20 conflicts with slot 0 only', () => {
    expect(slotConflicts(0, [vpn, lan])).toEqual([lan]);
    expect(slotConflicts(1, [lan])).toEqual([]);
  });

  /**
   * Any route of /8 or longer covering a slot refused it, so a VPN pushing 10.0.0.0/8 made `lab up`
   * impossible; but the lab's /20 bridge route is more specific, so the lab works beside it, and only
   * the VPN's hosts in that /20 become unreachable (review lab 2).
   */
  test('a wider route (a VPN\'s 10.0.0.0/8 or 10.128.0.0/9) covering a slot does not refuse it: up warns of it', () => {
    const nine: MachineNetwork = { network: '10.128.0.0/9', dev: 'wg0', source: 'route' };
    const nineteen: MachineNetwork = { network: '10.231.0.0/19', dev: 'tun1', source: 'route' };
    for (const slot of [0, 1, 15]) expect(slotConflicts(slot, [vpn, nine, nineteen])).toEqual([]);
    expect(slotShadowingRoutes(0, [vpn, nine, nineteen, lan])).toEqual([vpn, nine, nineteen]);
    expect(slotShadowingRoutes(2, [vpn, nine, nineteen])).toEqual([vpn, nine]);
    expect(wideRouteWarning(1, [vpn])).toBe(
      'warning: the route to 10.0.0.0/8 dev tun0 covers the lab\'s 10.231.16.0/20: the lab\'s own route is more specific, so its hosts in 10.231.16.0/20 are unreachable while the lab runs',
    );
    expect(wideRouteWarning(1, [vpn, nine])).toMatch(/^warning: the routes to 10\.0\.0\.0\/8 dev tun0, 10\.128\.0\.0\/9 dev wg0 cover the lab's 10\.231\.16\.0\/20: .* their hosts in 10\.231\.16\.0\/20/);
    expect(wideRouteWarning(1, [lan])).toBeNull();
  });

  // Tailscale puts its routes in table 52, looked up by a rule before main: there a 10.0.0.0/8
  // wins over the lab's /20 in main whatever their lengths, and the lab's nodes are unreachable.
  test("a wide route of another table than main refuses the slots it covers (it wins over the lab's main-table /20)", () => {
    const tailscale: MachineNetwork = { network: '10.0.0.0/8', dev: 'tailscale0', table: '52', source: 'route' };
    expect(slotConflicts(1, [tailscale])).toEqual([tailscale]);
    expect(slotShadowingRoutes(1, [tailscale])).toEqual([]);
    expect(slotConflicts(1, [{ ...tailscale, table: 'main' }])).toEqual([]);
    expect(describeNetwork(tailscale)).toBe('10.0.0.0/8 dev tailscale0 table 52');
  });

  // A machine on a LAN 10.231.0.0/16 whose gateway is 10.231.0.1: slot 0's bridge would take the
  // gateway's address, and the machine would deliver its own traffic for it locally.
  test('a slot holding a route\'s gateway is refused, whatever the route', () => {
    const viaLan: MachineNetwork = { network: '0.0.0.0/0', dev: 'eth0', gateways: ['10.231.0.1'], source: 'route' };
    const lan16: MachineNetwork = { network: '10.231.0.0/16', dev: 'eth0', source: 'route' };
    expect(slotConflicts(0, [viaLan, lan16])).toEqual([viaLan]);
    expect(slotConflicts(1, [viaLan, lan16])).toEqual([]);
    expect(describeNetwork(viaLan)).toBe('0.0.0.0/0 via 10.231.0.1 dev eth0');
  });

  // iproute2's forms: a throw route (the lookup goes on to the next table) routes nothing; a
  // multipath route's gateways are its nexthops'; the `default` table (253) is looked up after main.
  test("a throw route is no route, a multipath route's nexthops are its gateways, the default table is weighed as main", () => {
    const json = JSON.stringify([
      { type: 'throw', dst: '10.231.0.0/16', table: '52', flags: [] },
      { dst: '10.9.0.0/16', nexthops: [{ gateway: '192.0.2.7', dev: 'eth0' }, { gateway: '10.231.16.1', dev: 'eth1' }], flags: [] },
      { dst: '10.0.0.0/8', dev: 'tun0', table: 'default', flags: [] },
      { type: 'blackhole', dst: '10.231.32.0/24', flags: [] },
    ]);
    const networks = routeNetworks(json);
    expect(networks).toEqual([
      { network: '10.9.0.0/16', gateways: ['192.0.2.7', '10.231.16.1'], source: 'route' },
      { network: '10.0.0.0/8', dev: 'tun0', table: 'default', source: 'route' },
      { network: '10.231.32.0/24', type: 'blackhole', source: 'route' },
    ]);
    expect(slotConflicts(0, networks)).toEqual([]);
    expect(slotConflicts(1, networks).map(describeNetwork)).toEqual(['10.9.0.0/16 via 192.0.2.7, 10.231.16.1']);
    expect(slotConflicts(2, networks).map(describeNetwork)).toEqual(['blackhole 10.231.32.0/24']);
    expect(slotShadowingRoutes(3, networks).map(describeNetwork)).toEqual(['10.0.0.0/8 dev tun0']);
  });

  test('routes of /20 or longer inside a slot, and addresses in it, refuse it', () => {
    const inside: MachineNetwork[] = [
      { network: '10.231.16.0/20', dev: 'eth2', source: 'route' },
      { network: '10.231.20.0/24', dev: 'eth3', source: 'route' },
      { network: '10.231.20.7/32', dev: 'wg0', source: 'route' },
      { network: '10.231.17.4/16', dev: 'eth4', source: 'address' },
    ];
    expect(slotConflicts(1, inside)).toEqual(inside);
    expect(slotShadowingRoutes(1, inside)).toEqual([]);
    // An address outside the slot on a wide network is the wide route's case, not a conflict.
    const wide: MachineNetwork = { network: '10.1.2.3/8', dev: 'eth0', source: 'address' };
    expect(slotConflicts(1, [wide])).toEqual([]);
    expect(slotShadowingRoutes(1, [wide])).toEqual([]);
  });

  test('a default route, and the lab\'s own bridges, never conflict', () => {
    const defaults: MachineNetwork[] = [
      { network: '0.0.0.0/0', dev: 'eth0', source: 'route' },
      // OpenVPN's def1 splits the default route in two halves: still a default route.
      { network: '0.0.0.0/1', dev: 'tun0', source: 'route' },
      { network: '128.0.0.0/1', dev: 'tun0', source: 'route' },
    ];
    const bridge: MachineNetwork = { network: '10.231.16.0/20', dev: 'glab-1-br', source: 'route' };
    expect(slotConflicts(1, [...defaults, bridge])).toEqual([]);
    expect(slotShadowingRoutes(1, [...defaults, bridge])).toEqual([]);
  });

  test('routes from `ip -4 -j route show table all`: default is /0, a bare address is a /32', () => {
    const json = JSON.stringify([
      { dst: 'default', gateway: '192.0.2.1', dev: 'eth0', flags: [] },
      { dst: '10.0.0.0/8', dev: 'tun0', flags: [] },
      { type: 'local', dst: '10.231.5.9', dev: 'wg0', table: 'local', flags: [] },
      { type: 'unreachable', dst: '10.231.64.0/20', flags: [] },
    ]);
    expect(routeNetworks(json)).toEqual([
      { network: '0.0.0.0/0', dev: 'eth0', gateways: ['192.0.2.1'], source: 'route' },
      { network: '10.0.0.0/8', dev: 'tun0', source: 'route' },
      { network: '10.231.5.9/32', dev: 'wg0', table: 'local', type: 'local', source: 'route' },
      { network: '10.231.64.0/20', type: 'unreachable', source: 'route' },
    ]);
    expect(slotConflicts(0, routeNetworks(json)).map((n) => n.network)).toEqual(['10.231.5.9/32']);
    expect(slotConflicts(4, routeNetworks(json)).map((n) => n.network)).toEqual(['10.231.64.0/20']);
  });

  test('addresses from `ip -4 -j addr`: each address with its prefix length, IPv4 only', () => {
    const json = JSON.stringify([
      { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
      { ifname: 'eth1', addr_info: [{ family: 'inet', local: '10.231.2.5', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
      { ifname: 'glab-0-br', addr_info: [{ family: 'inet', local: '10.231.0.1', prefixlen: 20 }] },
    ]);
    expect(addressNetworks(json)).toEqual([
      { network: '127.0.0.1/8', dev: 'lo', source: 'address' },
      { network: '10.231.2.5/24', dev: 'eth1', source: 'address' },
      { network: '10.231.0.1/20', dev: 'glab-0-br', source: 'address' },
    ]);
    expect(slotConflicts(0, addressNetworks(json))).toEqual([{ network: '10.231.2.5/24', dev: 'eth1', source: 'address' }]);
  });

  test('unreadable output is no network (ip missing or too old for -j)', () => {
    expect(routeNetworks('')).toEqual([]);
    expect(addressNetworks('Option "-j" is unknown')).toEqual([]);
  });
});
