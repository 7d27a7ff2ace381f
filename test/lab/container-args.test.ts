import { nspawnArgs } from '../../src/lab/container.js';
import { netnsSshdConfig } from '../../src/lab/netnshost.js';
import { planLab } from '../../src/lab/plan.js';
import { qemuArgs } from '../../src/lab/vm.js';

const plan = planLab({ kind: 'container', nodes: 2, subgrids: 1, regions: 1 }, 3);
const node = { ...plan.nodes[1]!, dir: '/lab/nodes/node-02', machineId: '0123456789abcdef0123456789abcdef' };

describe('node process arguments', () => {
  test('nspawn: own netns, prefixed machine name, orderly shutdown, libvirt prerequisites', () => {
    const a = nspawnArgs(node, '/cache/rootfs', '/lab/nodes/node-02/upper');
    expect(a).toEqual(expect.arrayContaining([
      '--register=no',
      '--keep-unit',
      '--machine=glab-3-node-02',
      '--hostname=node-02',
      '--kill-signal=SIGRTMIN+3',
      '--directory=/cache/rootfs',
      '--overlay=+/:/lab/nodes/node-02/upper:/',
      '--network-namespace-path=/run/netns/glab-3-node-02',
      '--capability=CAP_NET_ADMIN,CAP_SYS_RESOURCE,CAP_IPC_LOCK',
      '--bind=/dev/net/tun',
    ]));
    expect(a[a.length - 1]).toBe('/usr/local/sbin/gridops-lab-init');
  });

  test('netns sshd listens on the host address only, key auth only', () => {
    const c = netnsSshdConfig('10.231.48.12');
    expect(c).toMatch(/^ListenAddress 10\.231\.48\.12$/m);
    expect(c).toMatch(/^PasswordAuthentication no$/m);
    expect(c).toMatch(/^HostKey \/etc\/ssh\/ssh_host_ed25519_key$/m);
  });

  test('qemu: TCG, tap on the lab link, identity on the command line, lab-unique process name', () => {
    const a = qemuArgs(node, '/cache/vm');
    const at = (flag: string) => a[a.indexOf(flag) + 1];
    expect(at('-accel')).toMatch(/^tcg/);
    expect(at('-netdev')).toBe(`tap,id=n0,ifname=${node.link},script=no,downscript=no`);
    expect(at('-device')).toBe(`virtio-net-pci,netdev=n0,mac=${node.mac}`);
    expect(at('-append')).toContain('systemd.hostname=node-02');
    expect(at('-append')).toContain(`systemd.machine_id=${node.machineId}`);
    expect(at('-name')).toContain('process=gridops-lab-glab-3-node-02');
  });
});
