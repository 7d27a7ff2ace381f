import { checkTopologyText } from '../../src/topology/load.js';
import { canonicalHost } from '../../src/topology/formats.js';

/** The rules' other side: what they must keep accepting (the invalid corpus covers the rejections). */
const grid = (extra: string, node = '{ name: a, address: 10.0.0.1 }') => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
${extra}
regions:
  - name: r1
    subgrids:
      - name: s1
        discovery: { multicast: "239.192.10.1:7950" }
        nodes:
          - ${node}
`;

describe('validation rules that must still accept', () => {
  it('a UDP-only and a TCP-only listener may share a port (the multicast port and agent.httpPort)', () => {
    expect(checkTopologyText('t.yaml', grid('')).problems).toEqual([]);
  });

  it('real sysctl and module option values', () => {
    const text = grid(`defaults:
  kernel:
    sysctl: { net.ipv4.tcp_rmem: "4096 87380 6291456", net.ipv4.ip_local_port_range: "32768 60999", vm.swappiness: 10, net.ipv4.conf.all.rp_filter: -1 }
    params: { kvm: { ignore_msrs: true, halt_poll_ns: 0 }, snd_hda_intel: { index: "1,0", model: auto } }`);
    expect(checkTopologyText('t.yaml', text).problems).toEqual([]);
  });

  it('distinct IPv6 addresses and durations with one unit', () => {
    const text = grid('rollout: { healthTimeout: 4.5s }', '{ name: a, address: "fd00::12", ssh: { connectTimeout: 500ms } }');
    expect(checkTopologyText('t.yaml', text).problems).toEqual([]);
  });

  it('canonical host forms', () => {
    expect(canonicalHost('FD00:0:0::12')).toBe('fd00::12');
    expect(canonicalHost('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalHost('fe80::1%eth0')).toBe('fe80::1%eth0');
    expect(canonicalHost('Node1.Example.org.')).toBe('node1.example.org');
    expect(canonicalHost('10.0.0.1')).toBe('10.0.0.1');
  });

  it('a duration above 24h is refused (Node timers overflow at 2^31 ms)', () => {
    const { problems } = checkTopologyText('t.yaml', grid('rollout: { healthTimeout: 25h }'));
    expect(problems.map((p) => p.message)).toEqual(['healthTimeout: duration "25h" is longer than 24h']);
  });
});
