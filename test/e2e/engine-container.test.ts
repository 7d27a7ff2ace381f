import { jest } from '@jest/globals';
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
    expect(apply.stderr).not.toMatch(/error|warning/i);
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
});
