import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { FORMAT_PATTERNS, FORMATS, type FormatName } from '../../src/topology/formats.js';
import { topologyJsonSchema } from '../../src/topology/json-schema.js';
import { checkTopologyText } from '../../src/topology/load.js';

/**
 * The formats as `pattern`s, for editors and `ajv --strict`: every value a format checker accepts
 * matches its pattern (so an editor never flags a valid topology), and the patterns catch the
 * format mistakes those tools let through before.
 */
const matches = (format: FormatName, value: string) => new RegExp(FORMAT_PATTERNS[format]!, 'u').test(value);
const PATTERNED = Object.keys(FORMAT_PATTERNS) as FormatName[];

const VALID: Partial<Record<FormatName, string[]>> = {
  'dns-label': ['a', 'ra-01', 'x'.repeat(63), '0node'],
  host: ['10.0.1.11', 'fd00::11', '::1', 'node1.example.org', 'localhost', 'a-b.c', '2001:db8::ffff:10.0.0.1', 'fe80::1', 'fe80::1%eth0'],
  'ip-address': ['127.0.0.1', '0.0.0.0', '::', '::1', 'fd00::11', '2001:db8:0:0:0:0:0:1', '::ffff:10.0.0.1'],
  hostname: ['region.eu-west.grid.example.org', 'a', 'example.org.'],
  endpoint: ['10.0.1.11:7946', 'node.example.org:7946', '[10.0.1.11]:7946', 'n1:1'],
  'multicast-endpoint': ['239.192.10.1:7947', '224.0.1.1:1', '239.255.255.255:65535'],
  'count-or-percent': ['10%', '100%', '0.5%'],
  duration: ['500ms', '60s', '5m', '1h', '1.5s'],
  'module-name': ['kvm', 'kvm_intel', 'vhost-net'],
  'sysctl-key': ['net.core.rmem_max', 'vm.swappiness', 'net/ipv4/ip_forward', 'net.ipv4.conf.eth0-1.rp_filter'],
  'sysctl-value': ['1', '4096 87380 6291456', 'bbr', '10.0.0.0/8,fd00::/8'],
  'module-option-name': ['ignore_msrs', 'nested'],
  'module-option-value': ['1', 'Y', '0x1f,2'],
  'file-path': ['~/.ssh/id_ed25519', '/etc/gridops/known_hosts', 'relative/key', 'with space'],
  'ssh-user': ['root', 'ops', '_svc', 'deploy-2', 'machine$'],
  'jump-host': ['bastion', 'admin@bastion.example.org:22', 'admin@10.0.0.1', '10.0.0.1:2200', 'bastion:22', '[2001:db8::1]:2222', '[2001:db8::1]', 'admin@[fd00::1]:22'],
  semver: ['0.1.0', '10.20.30', '1.0.0-rc.1'],
  'label-key': ['gpu', 'example.org/rack', 'A_b.c-d'],
  'label-value': ['', 'true', 'a b', "it's \"x\""],
};

describe('format patterns', () => {
  it.each(PATTERNED)('%s: every sample its checker accepts matches the pattern', (format) => {
    expect(VALID[format]!.length).toBeGreaterThan(0);
    for (const value of VALID[format]!) {
      expect([value, FORMATS[format](value)]).toEqual([value, null]);
      expect([value, matches(format, value)]).toEqual([value, true]);
    }
  });

  it('never rejects what a checker accepts, over 20 000 random strings per format', () => {
    const alphabet = 'az09.-_:/@[]%$ AZ\n';
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const format of PATTERNED) {
      for (let i = 0; i < 20_000; i++) {
        // grow from a valid sample, so accepted values are common enough to test the property
        const base = VALID[format]![i % VALID[format]!.length]!;
        let value = base;
        for (let edits = Math.floor(random() * 3); edits >= 0; edits--) {
          const at = Math.floor(random() * (value.length + 1));
          const ch = alphabet[Math.floor(random() * alphabet.length)]!;
          value = random() < 0.5 ? value.slice(0, at) + ch + value.slice(at) : value.slice(0, at) + value.slice(at + 1);
        }
        if (FORMATS[format](value) === null && !matches(format, value)) throw new Error(`${format}: ${JSON.stringify(value)} is accepted by the checker but not by the pattern`);
      }
    }
  });

  const base = `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults:
  ssh: { user: root, connectTimeout: 10s }
  kernel: { modules: [kvm], sysctl: { net.core.rmem_max: 4194304 } }
  agent: { version: 0.1.0 }
regions:
  - name: r1
    regionPeerName: r1.example.org
    subgrids:
      - name: s1
        discovery: { multicast: "239.192.0.1:7947", seeds: ["10.0.0.2:7946"] }
        nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }]
`;
  const PLANTED: Array<[string, string, string]> = [
    ['node name with capitals and _', 'name: n1,', 'name: Node_1,'],
    ['duration in words', 'connectTimeout: 10s', 'connectTimeout: 10 seconds'],
    ['seed without a port', '"10.0.0.2:7946"', '"10.0.0.2"'],
    ['unicast address as multicast group', '"239.192.0.1:7947"', '"10.0.0.1:7947"'],
    ['module name with a space', 'modules: [kvm]', 'modules: [kvm intel]'],
    ['sysctl key with spaces', 'net.core.rmem_max:', '"net core rmem":'],
    ['version with a v', 'version: 0.1.0', 'version: v0.1'],
    ['user name in capitals', 'user: root', 'user: Root'],
  ];

  it('ajv --strict (formats unknown to it, as in editors) catches all 8 planted format mistakes with the patterns, 0 without; gridops validate catches all 8 either way', () => {
    const schema = topologyJsonSchema() as Record<string, unknown>;
    const withoutPatterns = JSON.parse(JSON.stringify(schema), (key, value) => (key === 'pattern' && (Object.values(FORMAT_PATTERNS) as unknown[]).includes(value) ? undefined : value));
    const caught = (s: object) => {
      const validate = new Ajv({ strict: true, allErrors: true, validateFormats: false }).compile(s);
      return PLANTED.filter(([, from, to]) => {
        expect(base).toContain(from);
        return !validate(parse(base.replace(from, to)));
      }).length;
    };
    expect(new Ajv({ strict: true, validateFormats: false }).compile(schema)(parse(base))).toBe(true); // the unplanted file is valid
    expect(caught(withoutPatterns)).toBe(0);
    expect(caught(schema)).toBe(8);
    for (const [what, from, to] of PLANTED) expect([what, checkTopologyText('t.yaml', base.replace(from, to)).problems.length]).toEqual([what, 1]);
  });

  it('the seed pattern flags an IPv6 seed, bracketed or not, as the checker does (gridagent speaks IPv4 only)', () => {
    for (const seed of ['[fe80::1]:7946', '[fd00::1%eth0]:7946', '2001:db8::1:7946']) {
      expect([seed, matches('endpoint', seed)]).toEqual([seed, false]);
      expect(FORMATS.endpoint(seed)?.message).toMatch(/is an IPv6 address, and gridagent.* speaks IPv4 only/);
    }
  });

  it('the jump-host pattern flags a bare IPv6 address, as the checker does (ssh cannot tell its last group from a port)', () => {
    for (const jump of ['2001:db8::1', 'admin@fd00::1', 'fe80::1:22']) {
      expect([jump, matches('jump-host', jump)]).toEqual([jump, false]);
      expect(FORMATS['jump-host'](jump)).not.toBeNull();
    }
  });

  it('gridops reports a pattern failure in the format checker\'s words, once', () => {
    const { problems } = checkTopologyText('t.yaml', base.replace('connectTimeout: 10s', 'connectTimeout: 10 seconds'));
    expect(problems).toEqual([expect.objectContaining({ line: 5, message: 'connectTimeout: "10 seconds" is not a duration', hint: 'write a number and a unit: 500ms, 60s, 5m or 1h' })]);
  });
});
