import { checkTopologyText } from '../../src/topology/load.js';
import { parseJumpHost } from '../../src/transport/ssh-host-spec.js';

/**
 * ssh.jumpHost is read by validate as the transport reads it: an IPv6 bastion in brackets, as
 * ssh -J takes it. Validate refused every IPv6 spelling, while the transport dialled the bracketed ones.
 */
const withJumpHost = (value: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults:
  ssh: { jumpHost: "${value}" }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 192.0.2.1 }
          - { name: n2, address: 192.0.2.2 }
          - { name: n3, address: 192.0.2.3 }
`;
const problemsOf = (value: string) => checkTopologyText('g.yaml', withJumpHost(value)).problems.map((p) => `${p.line}:${p.column}: ${p.message} (hint: ${p.hint})`);

describe('ssh.jumpHost', () => {
  it.each([
    ['[2001:db8::1]:2222', { host: '2001:db8::1', port: 2222 }],
    ['[2001:db8::1]', { host: '2001:db8::1' }],
    ['user@[2001:db8::1]:22', { host: '2001:db8::1', user: 'user', port: 22 }],
    ['admin@bastion.example.org:22', { host: 'bastion.example.org', user: 'admin', port: 22 }],
  ])('%s is valid, and the transport dials what validate read', (value, dialled) => {
    expect(problemsOf(value)).toEqual([]);
    expect(parseJumpHost(value)).toEqual(dialled);
  });

  it('a bare IPv6 address is refused as the transport refuses it, with the bracketed spelling to write', () => {
    expect(problemsOf('2001:db8::1')).toEqual([
      '5:20: jumpHost: "2001:db8::1" is an IPv6 address without brackets, which ssh cannot tell from a port (hint: write it in brackets: [2001:db8::1], or [2001:db8::1]:22 with a port)',
    ]);
    expect(problemsOf('ops@2001:db8::1')[0]).toMatch(/hint: write it in brackets: ops@\[2001:db8::1\], or ops@\[2001:db8::1\]:22 with a port/);
    expect(() => parseJumpHost('2001:db8::1')).toThrow('cannot read the jump host');
  });

  it('inside the brackets the host is still checked, and so is the port', () => {
    expect(problemsOf('[not a host]:22')[0]).toMatch(/^5:20: jumpHost: "not a host" is neither an IP address nor a hostname/);
    expect(problemsOf('[2001:db8::1]:70000')[0]).toMatch(/^5:20: jumpHost: port 70000 is out of range/);
  });
});
