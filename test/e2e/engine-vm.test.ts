import { jest } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { describeLab } from './support/lab.js';
import { gridops } from './support/cli.js';

/**
 * Kernel modules for real: only the lab's qemu VM runs a kernel that loads modules. The module
 * is loaded now, persisted in modules-load.d, its options land in modprobe.d, and a second
 * plan is empty. Only node-base runs: the modules are its work, and the grid's full workflow (the
 * agent's Node.js installed and started under TCG) takes minutes in a VM and is covered on the
 * container labs.
 */
jest.setTimeout(600_000);

describeLab('engine e2e on a VM (real kernel modules)', { kind: 'vm', nodes: 1 }, (lab) => {
  const nodeBase = ['--playbook', 'node-base'];
  const withModules = () => {
    const file = `${lab.dir}/modules.yaml`;
    writeFileSync(file, readFileSync(lab.topology, 'utf8').replace(/\ndefaults:\n/, '\ndefaults:\n  kernel: { modules: [dummy], params: { dummy: { numdummies: 3 } } }\n'));
    return file;
  };

  it('loads a module with its options, persists both, and then plans zero changes', async () => {
    const topology = withModules();
    expect((await lab.ssh('node-01', 'grep -c "^dummy " /proc/modules || true')).stdout.trim()).toBe('0');
    const plan = gridops(['plan', topology, '--json', ...nodeBase]);
    expect(plan.status).toBe(0);
    const change = JSON.parse(plan.stdout).hosts[0].changes.find((c: { id: string }) => c.id === 'kernel-module dummy');
    expect(change).toMatchObject({ action: 'create', steps: ['load', 'persist', 'options'] });
    const apply = gridops(['apply', topology, '--yes', ...nodeBase], { timeoutMs: 300_000 });
    // The output rides along so that a failure shows why.
    expect({ status: apply.status, output: apply.stdout.slice(-3000) + apply.stderr }).toMatchObject({ status: 0 });
    expect((await lab.ssh('node-01', 'grep -c "^dummy " /proc/modules')).stdout.trim()).toBe('1');
    // numdummies is not exposed in sysfs; its effect is: three dummy links exist.
    expect((await lab.ssh('node-01', 'ip -o link show type dummy | wc -l')).stdout.trim()).toBe('3');
    expect((await lab.ssh('node-01', 'cat /etc/modules-load.d/gridops-dummy.conf /etc/modprobe.d/zz-gridops-dummy.conf')).stdout).toBe('# managed by gridops\ndummy\n# managed by gridops\noptions dummy numdummies=3'); // execa strips the last newline
    expect(gridops(['plan', topology, '--detailed-exitcode', ...nodeBase]).status).toBe(0);
  });

  it('an unloaded module is one planned change (load only)', async () => {
    const topology = withModules();
    await lab.ssh('node-01', 'rmmod dummy');
    const plan = gridops(['plan', topology, '--detailed-exitcode', '--json', ...nodeBase]);
    expect(plan.status).toBe(2);
    expect(JSON.parse(plan.stdout).hosts[0].changes.map((c: { id: string; steps: string[] }) => [c.id, c.steps])).toEqual([['kernel-module dummy', ['load']]]);
    expect(gridops(['apply', topology, '--yes', ...nodeBase], { timeoutMs: 300_000 }).status).toBe(0);
    expect(gridops(['plan', topology, '--detailed-exitcode', ...nodeBase]).status).toBe(0);
  });
});
