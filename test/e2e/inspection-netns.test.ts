import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAsRoot, gridops } from './support/cli.js';

/**
 * Inspection against real hosts: the inventory gridops prints drives real Ansible over SSH to a
 * netns lab (real sshd, the lab's known_hosts and key); a saved plan shows as plan printed it;
 * the state after apply lists every node.
 */

jest.setTimeout(300_000);

describeAsRoot('inspection e2e (netns lab, real sshd, real ansible)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-inspect-'));
  const topology = join(dir, 'topology.yaml');

  beforeAll(() => {
    const up = gridops(['lab', 'up', '--kind', 'netns', '--nodes', '4', '--subgrids', '2', '--dir', dir]);
    if (up.status !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
  });

  afterAll(() => {
    gridops(['lab', 'down', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  const ansible = (inventory: string, pattern: string) =>
    spawnSync('ansible', ['-i', inventory, pattern, '-m', 'ping', '-o'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'True' } });

  it('ansible -m ping reaches every node through the INI inventory, and one sub-grid through the YAML one', () => {
    for (const format of ['ini', 'yaml']) {
      const r = gridops(['inventory', topology, '--format', format]);
      expect(r.status).toBe(0);
      writeFileSync(join(dir, `hosts.${format}`), r.stdout);
    }
    const all = ansible(join(dir, 'hosts.ini'), 'all');
    expect(all.stderr).not.toMatch(/UNREACHABLE|FAILED/);
    expect(all.status).toBe(0);
    expect(all.stdout.match(/^node-0\d \| SUCCESS => .*"ping": "pong"/gm)).toHaveLength(4);
    const one = ansible(join(dir, 'hosts.yaml'), 'subgrid_2');
    expect(one.status).toBe(0);
    expect(one.stdout.match(/\| SUCCESS =>/g)).toHaveLength(2);
  });

  it('show renders a saved plan exactly as plan printed it', () => {
    const planFile = join(dir, 'plan.json');
    const plan = gridops(['plan', topology, '--playbook', 'node-base', '--out', planFile]);
    expect(plan.status).toBe(0);
    const show = gridops(['show', planFile]);
    expect(show.status).toBe(0);
    const rendered = show.stdout.split('\n').slice(2).join('\n').trim();
    expect(rendered.length).toBeGreaterThan(0);
    expect(plan.stdout).toContain(rendered);
    expect(rendered).toMatch(/Plan: \d+ to create, \d+ to change, 0 to remove, \d+ to run, on 4 of 4 hosts\./);
  });

  it('after apply, state list shows every node applied with this topology, and state show one', () => {
    const apply = gridops(['apply', topology, '--playbook', 'node-base', '--yes']);
    expect(apply.status).toBe(0);
    const list = gridops(['state', 'list', topology]);
    expect(list.status).toBe(0);
    const rows = list.stdout.trim().split('\n').slice(1, 5);
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(['node-01', 'node-02', 'node-03', 'node-04']);
    for (const row of rows) expect(row).toMatch(/\s+applied\s+\S+\s+current/);
    const show = gridops(['state', 'show', topology, 'node-03', '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({ node: 'node-03', group: 'region-1/subgrid-2', topology: 'current', record: { lastOutcome: 'applied', playbooks: ['node-base'] } });
  });
});
