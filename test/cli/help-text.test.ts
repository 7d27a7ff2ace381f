import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gridPlaybooks } from '../../src/phases/workflow-playbooks.js';
import type { Grid, Node } from '../../src/topology/model.js';

/** What `--help` tells a person, from the real binary: the usage lines, the plan's symbols, the grid's workflow. */
const root = new URL('../../', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', COLUMNS: '200' } });
const usageOf = (help: string) => help.split(/^USAGE$/m)[1]!.split(/^[A-Z]+$/m)[0]!;

describe('help texts', () => {
  const commands = Object.keys(JSON.parse(readFileSync(`${root}oclif.manifest.json`, 'utf8')).commands as Record<string, unknown>).map((id) => id.split(':'));

  it.each(commands)('%s: every [element] of the usage line is whole (no `[--flag ]`)', (...id) => {
    const r = run(...id, '--help');
    expect(r.status).toBe(0);
    expect(usageOf(r.stdout)).not.toMatch(/ \]|\[ /);
  });

  it('apply: --allow-existing-changes shows as a plain switch, and still needs --site (exit 64)', () => {
    expect(usageOf(run('apply', '--help').stdout)).toContain('[--allow-existing-changes]');
    const r = run('apply', 'no/such/grid.yaml', '--allow-existing-changes');
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('error: --allow-existing-changes works only with --site\nhint: add --site eu-west/rennes-b, or leave out --allow-existing-changes');
  });

  it("plan: the legend has every symbol a plan prints, and the workflow every playbook of the grid's", () => {
    const help = run('plan', '--help').stdout.replace(/\s+/g, ' ');
    for (const symbol of ['+ create', '~ change', '- remove', '! run', '= note']) expect(help).toContain(symbol);
    const node = { settings: { hypervisor: { enabled: true } } } as unknown as Node;
    const workflow = gridPlaybooks({ playbooks: [] } as unknown as Grid, node);
    expect(workflow).toEqual(['node-base', 'hypervisor', 'qos', 'agent']);
    expect(help).toContain('(node-base, hypervisor where hypervisor.enabled, qos, agent, then the topology\'s own playbooks)');
    expect(run('apply', '--help').stdout.replace(/\s+/g, ' ')).toContain('(node-base, hypervisor where hypervisor.enabled, qos, agent, then the topology\'s own playbooks)');
  });
});
