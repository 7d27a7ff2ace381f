import { jest } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeLab } from './support/lab.js';
import { gridops, ROOT } from './support/cli.js';

/**
 * The engine against systemd containers: real apt packages through the lab's proxy, a real
 * systemd unit (written, daemon-reload, enabled, started), a network sysctl, and libvirtd
 * running inside a node, which the hypervisor work builds on.
 */
jest.setTimeout(600_000);

describeLab('engine e2e on systemd containers', { kind: 'container', nodes: 2 }, (lab) => {
  const playbook = `${ROOT}test/e2e/fixtures/container-services.yaml`;
  const run = async (node: string, command: string) => (await lab.ssh(node, command)).stdout.trim();

  it('installs packages, runs a unit, sets a sysctl, and libvirtd answers inside the node; then plans zero changes', async () => {
    const apply = gridops(['apply', lab.topology, '--yes', '--playbook', playbook], { timeoutMs: 540_000 });
    // A two-node lab draws validate's advice that its sub-grid cannot fail over (apply prints topology warnings too); nothing else.
    expect(apply.stderr.replace(/^.*warning: sub-grid .* cannot elect a successor.*\n(\s+hint: .*\n)?/gm, '')).not.toMatch(/error|warning/i);
    expect(apply.status).toBe(0);
    for (const node of ['node-01', 'node-02']) {
      expect(await run(node, 'systemctl is-active gridops-e2e-ticker.service')).toBe('active');
      expect(await run(node, 'systemctl is-enabled gridops-e2e-ticker.service')).toBe('enabled');
      expect(await run(node, 'grep Description /etc/systemd/system/gridops-e2e-ticker.service')).toContain(`on ${node} (subgrid-1)`);
      expect(await run(node, 'sysctl -n net.ipv4.tcp_keepalive_time')).toBe('600');
      expect(await run(node, 'systemctl is-active libvirtd')).toBe('active');
      expect(await run(node, 'cat /root/virsh-version')).toMatch(/Running hypervisor: QEMU/);
    }
    expect(gridops(['plan', lab.topology, '--detailed-exitcode', '--playbook', playbook]).status).toBe(0);
  });

  it('a stopped unit and a drifted sysctl are each one planned change, and apply repairs them', async () => {
    await lab.ssh('node-02', 'systemctl stop gridops-e2e-ticker.service && sysctl -q -w net.ipv4.tcp_keepalive_time=7200');
    const plan = gridops(['plan', lab.topology, '--detailed-exitcode', '--json', '--playbook', playbook]);
    expect(plan.status).toBe(2);
    const hosts = JSON.parse(plan.stdout).hosts as Array<{ host: string; changes: Array<{ id: string; steps?: string[] }> }>;
    expect(hosts.find((h) => h.host === 'node-01')!.changes).toEqual([]);
    expect(hosts.find((h) => h.host === 'node-02')!.changes.map((c) => [c.id, c.steps])).toEqual([
      ['systemd-unit gridops-e2e-ticker.service', ['start']],
      ['sysctl net.ipv4.tcp_keepalive_time', ['set']],
    ]);
    expect(gridops(['apply', lab.topology, '--yes', '--playbook', playbook]).status).toBe(0);
    expect(await run('node-02', 'systemctl is-active gridops-e2e-ticker.service')).toBe('active');
    expect(gridops(['plan', lab.topology, '--detailed-exitcode', '--playbook', playbook]).status).toBe(0);
  });

  it('the qos playbook holds grid work to its CPU and memory share, and a new share is applied without a restart', async () => {
    // The lab grid with a QoS share, beside the lab topology (so it shares the lab's state dir).
    const withQos = (percent: number) => {
      const file = join(lab.dir, `topology-qos-${percent}.yaml`);
      writeFileSync(file, readFileSync(lab.topology, 'utf8').replace('\ndefaults:\n', `\ndefaults:\n  qos: { gridCpuPercent: ${percent}, gridMemoryMiB: 64 }\n`));
      return file;
    };
    const at20 = withQos(20);
    expect(gridops(['apply', at20, '--yes', '--playbook', 'qos']).status).toBe(0);
    expect(gridops(['plan', at20, '--detailed-exitcode', '--playbook', 'qos']).status).toBe(0);
    expect(await run('node-01', 'systemctl is-enabled grid.slice; systemctl is-active grid.slice; systemctl show -P CPUQuotaPerSecUSec grid.slice; systemctl show -P MemoryMax grid.slice')).toBe(`enabled\nactive\n400ms\n${64 * 2 ** 20}`);

    // 20 % of the node's 2 CPUs: a busy loop in the slice gets 40 % of one CPU.
    const burn = [
      'systemd-run -q --slice=grid.slice --unit=gridops-qos-burn sh -c "while :; do :; done"',
      'sleep 0.5',
      'p=$(systemctl show -P MainPID gridops-qos-burn)',
      't() { awk \'{print $14+$15}\' /proc/$p/stat; }',
      'a=$(t); s=$(date +%s%N); sleep 4; b=$(t); e=$(date +%s%N)',
      'systemctl stop gridops-qos-burn',
      'echo $(( (b-a) * 100000000000 / (e-s) ))',
    ].join('\n');
    const percent = Number(await run('node-02', burn)) / 100;
    // eslint-disable-next-line no-console
    console.log(`qos: gridCpuPercent 20 on 2 CPUs, a busy loop in grid.slice measured ${percent.toFixed(1)}% of one CPU`);
    expect(Math.abs(percent - 40)).toBeLessThan(4);
    // 64 MiB: a process in the slice that holds 300 MB is killed.
    expect(await run('node-02', 'systemd-run -q --wait --slice=grid.slice sh -c "head -c 300M /dev/zero | tail -n 1 >/dev/null"; echo rc=$?')).toBe('rc=137');

    // A new share: one change per host, the unit file only (a restart would stop the slice's work).
    const at30 = withQos(30);
    await lab.ssh('node-01', 'systemd-run -q --slice=grid.slice --unit=gridops-qos-sleeper sleep 600');
    const plan = gridops(['plan', at30, '--detailed-exitcode', '--json', '--playbook', 'qos']);
    expect(plan.status).toBe(2);
    for (const host of JSON.parse(plan.stdout).hosts as Array<{ changes: Array<{ id: string; steps: string[] }> }>) expect(host.changes.map((c) => [c.id, c.steps])).toEqual([['systemd-unit grid.slice', ['write']]]);
    expect(gridops(['apply', at30, '--yes', '--playbook', 'qos']).status).toBe(0);
    expect(await run('node-01', 'systemctl show -P CPUQuotaPerSecUSec grid.slice; systemctl is-active gridops-qos-sleeper')).toBe('600ms\nactive');
    await lab.ssh('node-01', 'systemctl stop gridops-qos-sleeper');
    expect(gridops(['plan', at30, '--detailed-exitcode', '--playbook', 'qos']).status).toBe(0);
  });
});
