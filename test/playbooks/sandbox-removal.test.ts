import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import type { CommandChange } from '../../src/plan/change.js';
import { SANDBOX_EGRESS_HOOK, SANDBOX_EGRESS_TC_FILE, ifbOf } from '../../src/resources/sandbox-egress.js';
import { SANDBOX_TAP } from '../../src/resources/sandbox-names.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { smallGrid } from '../resources/fixtures.js';

const IFB = ifbOf(SANDBOX_TAP);

/** Everything sandbox-egress leaves on a host goes with hypervisor-off and reset: its files and its ifb device (with the htb on it). */
describe.each(['hypervisor-off', 'reset'])('%s removes what held the sandbox VM\'s egress', (ref) => {
  const grid = smallGrid('defaults: { hypervisor: { enabled: true, sandbox: { image: sandbox.img } } }');
  const resources = instantiate(loadPlaybook(ref), templateContext(grid, allNodes(grid)[0]!)).resources;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-sandbox-removal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('its egress hook and tc batch file', () => {
    const absent = resources.find((r) => r.kind === 'absent-paths')!;
    // The paths the probe found (reset removes /etc/gridops whole, which holds the batch file).
    const listed = `${SANDBOX_EGRESS_HOOK}\n${SANDBOX_EGRESS_TC_FILE}\n/etc/gridops\n`;
    expect(absent.diff(listed, undefined as never)).toMatchObject({ paths: ref === 'reset' ? expect.arrayContaining([SANDBOX_EGRESS_HOOK, '/etc/gridops']) : [SANDBOX_EGRESS_HOOK, SANDBOX_EGRESS_TC_FILE] });
  });

  /** A host's `ip`, as far as the ifb goes: `link show` answers whether it exists, `link del` removes it and logs the call. */
  const host = (ifbExists: boolean) => {
    const state = join(dir, 'ifb');
    if (ifbExists) writeFileSync(state, '');
    writeFileSync(
      join(dir, 'ip'),
      `#!/bin/sh\ncase "$*" in\n  "link show dev ${IFB}") [ -e ${state} ] ;;\n  "link del dev ${IFB}") [ -e ${state} ] && rm ${state} && echo "$*" >> ${join(dir, 'log')} ;;\n  *) exit 2 ;;\nesac\n`,
    );
    chmodSync(join(dir, 'ip'), 0o755);
    const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    return { sh, exists: () => existsSync(state), log: () => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '') };
  };

  it(`the ifb ${IFB}, only where it exists: a second run changes nothing`, () => {
    const ifb = resources.find((r) => r.id === 'command remove-sandbox-ifb')!;
    expect(ifb).toBeDefined();
    const h = host(true);
    const change = ifb.diff(h.sh(ifb.probe()), undefined as never) as CommandChange;
    expect(change).toMatchObject({ kind: 'command', action: 'run' });
    h.sh(change.command);
    expect(h.exists()).toBe(false);
    expect(h.log()).toBe(`link del dev ${IFB}\n`);
    expect(ifb.diff(h.sh(ifb.probe()), undefined as never)).toBeNull();
    // A host without the ifb (no egress limit was ever set) plans nothing either.
    rmSync(join(dir, 'log'), { force: true });
    const never = host(false);
    expect(ifb.diff(never.sh(ifb.probe()), undefined as never)).toBeNull();
  });

  it('the ifb after the sandbox VM (whose tap redirects into it)', () => {
    const ids = resources.map((r) => r.id);
    expect(ids.indexOf('command remove-sandbox-ifb')).toBeGreaterThan(ids.indexOf('absent-libvirt domain gridops-sandbox'));
  });
});

/**
 * reset removes the uplink's egress limit itself too: the unit's ExecStop takes it out of the kernel
 * only when the unit is active, and a failed unit is not stopped again. Against fake `nft` and `tc`
 * that keep the table and the qdisc as files; the real tools ran these commands in a network
 * namespace when they were written.
 */
describe('reset removes the egress table and qdisc a failed gridops-egress.service left', () => {
  const grid = smallGrid('');
  const resources = instantiate(loadPlaybook('reset'), templateContext(grid, allNodes(grid)[0]!)).resources;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-egress-removal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const host = (table: boolean, qdisc: boolean) => {
    const t = join(dir, 'table');
    const q = join(dir, 'qdisc');
    if (table) writeFileSync(t, '');
    if (qdisc) writeFileSync(q, '');
    writeFileSync(join(dir, 'nft'), `#!/bin/sh\ncase "$*" in\n  "list table inet gridops_egress") [ -e ${t} ] ;;\n  "delete table inet gridops_egress") [ -e ${t} ] && rm ${t} ;;\n  *) exit 2 ;;\nesac\n`);
    writeFileSync(
      join(dir, 'tc'),
      `#!/bin/sh\ncase "$*" in\n  "qdisc show") [ -e ${q} ] && echo 'qdisc htb 1e9d: dev eth0 root refcnt 2 r2q 10 default 0x10'; echo 'qdisc noqueue 0: dev lo root refcnt 2'; exit 0 ;;\n  "qdisc show dev eth0 root") [ -e ${q} ] && echo 'qdisc htb 1e9d: root refcnt 2'; exit 0 ;;\n  "qdisc del dev eth0 root") [ -e ${q} ] && rm ${q} ;;\n  *) exit 2 ;;\nesac\n`,
    );
    for (const tool of ['nft', 'tc']) chmodSync(join(dir, tool), 0o755);
    const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    return { sh, table: () => existsSync(t), qdisc: () => existsSync(q) };
  };

  it('planned where they are, removed, then nothing; planned while the unit ran and found gone by then, still a success', () => {
    const table = resources.find((r) => r.id === 'command remove-egress-table')!;
    const qdisc = resources.find((r) => r.id === 'command remove-egress-qdisc')!;
    const ids = resources.map((r) => r.id);
    expect(ids.indexOf('command remove-egress-table')).toBeGreaterThan(ids.indexOf('absent-unit gridops-egress.service'));
    const h = host(true, true);
    for (const r of [table, qdisc]) {
      const change = r.diff(h.sh(r.probe()), undefined as never) as CommandChange;
      expect(change).toMatchObject({ action: 'run' });
      h.sh(change.command);
      expect(r.diff(h.sh(r.probe()), undefined as never)).toBeNull();
      // Gone between the plan and the apply (the unit's stop took it): the command still succeeds.
      expect(() => h.sh(change.command)).not.toThrow();
    }
    expect([h.table(), h.qdisc()]).toEqual([false, false]);
  });
});

/**
 * The sandbox VM ran in grid.slice, and on cgroup v1 libvirt made grid.slice in the hierarchies
 * systemd leaves alone (cpuset), which outlive the slice's stop: reset removes them, empty. Run in a
 * real shell on a directory tree standing in for /sys/fs/cgroup (rmdir takes empty directories alike).
 */
describe("reset removes the grid.slice cgroups libvirt made for the sandbox VM", () => {
  const grid = smallGrid('defaults: { hypervisor: { enabled: true, sandbox: { image: sandbox.img } } }');
  const step = instantiate(loadPlaybook('reset'), templateContext(grid, allNodes(grid)[0]!)).resources.find((r) => r.id === 'command remove-grid-slice-cgroups')!;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-grid-slice-cgroups-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const inTree = (script: string) => execFileSync('sh', ['-c', `${script.replaceAll('/sys/fs/cgroup', dir)}; echo rc=$?`], { encoding: 'utf8' });

  it('after the sandbox VM is removed, each empty one, with what libvirt left under it; then nothing to do', () => {
    const ids = instantiate(loadPlaybook('reset'), templateContext(grid, allNodes(grid)[0]!)).resources.map((r) => r.id);
    expect(ids.indexOf('command remove-grid-slice-cgroups')).toBeGreaterThan(ids.indexOf('absent-libvirt domain gridops-sandbox'));
    execFileSync('mkdir', ['-p', join(dir, 'cpuset/grid.slice/machine-qemu\\x2d1\\x2dgridops\\x2dsandbox.scope/emulator'), join(dir, 'memory/system.slice')]);
    const change = step.diff(inTree(step.probe()).replace(/rc=\d+\n$/, ''), undefined as never) as CommandChange;
    expect(change).toMatchObject({ kind: 'command', action: 'run' });
    expect(inTree(change.command)).toBe('rc=0\n');
    expect(existsSync(join(dir, 'cpuset/grid.slice'))).toBe(false);
    expect(existsSync(join(dir, 'memory/system.slice'))).toBe(true);
    expect(step.diff(inTree(step.probe()).replace(/rc=\d+\n$/, ''), undefined as never)).toBeNull();
  });
});
