/**
 * `gridops lab up --kind vm`: the one node kind with a real kernel. Modules load, cgroup v2 is
 * real, sshd answers once the VM has booted, with strict host-key checking. How fast it boots is
 * printed, not asserted: figures belong to benchmarks, and a loaded CI machine boots TCG slower
 * (45.9 s there, 20-30 s on a quiet machine). The bound below only catches a hang.
 */
import { describeLab } from './support/lab.js';
import { leftovers } from './support/leftovers.js';

describeLab('lab: a qemu VM', { kind: 'vm', nodes: 1 }, (lab) => {
  test('sshd answers after boot, with strict host-key checking', async () => {
    // eslint-disable-next-line no-console
    console.log(`VM sshd answered ${lab.up.timings.bootMs} ms after qemu started`);
    expect(lab.up.timings.bootMs).toBeLessThan(180_000);
    const r = await lab.ssh('node-01', 'hostname; cat /etc/machine-id; systemctl is-system-running --wait');
    const [hostname, machineId, state] = r.stdout.trim().split('\n');
    expect(hostname).toBe('node-01');
    expect(machineId).toBe(lab.state().nodes[0]!.machineId);
    expect(['running', 'degraded']).toContain(state);
  }, 120_000);

  test('kernel modules load for real', async () => {
    const r = await lab.ssh('node-01', 'modprobe dummy && lsmod | grep -c "^dummy " && ip link add gl0 type dummy && ip -br link show gl0');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^1$/m);
    expect(r.stdout).toMatch(/^gl0 /m);
  }, 60_000);

  test('cgroup v2 is mounted and a CPU limit is enforced', async () => {
    const r = await lab.ssh('node-01', [
      'stat -fc %T /sys/fs/cgroup',
      'systemd-run -q --unit=gridops-burn -p CPUQuota=25% sh -c "while :; do :; done"',
      'sleep 1',
      'a=$(awk \'/usage_usec/{print $2}\' /sys/fs/cgroup/system.slice/gridops-burn.service/cpu.stat); sleep 4',
      'b=$(awk \'/usage_usec/{print $2}\' /sys/fs/cgroup/system.slice/gridops-burn.service/cpu.stat)',
      'systemctl stop gridops-burn',
      'echo $(( (b-a) / 40000 ))',
    ].join('\n'));
    const [fs, percent] = r.stdout.trim().split('\n');
    expect(fs).toBe('cgroup2fs');
    expect(Math.abs(Number(percent) - 25)).toBeLessThanOrEqual(3);
  }, 60_000);

  test('the network is private and multicast-routed; apt goes through the proxy', async () => {
    const r = await lab.ssh('node-01', 'ip -4 route; ip route get 1.1.1.1 2>&1 || true; cat /etc/apt/apt.conf.d/01gridops-lab-proxy');
    expect(r.stdout).not.toMatch(/^default/m);
    expect(r.stdout).toMatch(/^224\.0\.0\.0\/4 dev eth0/m);
    expect(r.stdout).toMatch(/Network is unreachable/);
    expect(r.stdout).toContain(`http://${lab.state().plan.bridge.address}:3142`);
  });

  test('down removes the VM, its tap and files', async () => {
    const st = lab.state();
    await lab.down();
    expect(leftovers(st)).toEqual({ links: [], netns: [], cgroups: [], mounts: [], processes: [] });
  }, 30_000);
});
