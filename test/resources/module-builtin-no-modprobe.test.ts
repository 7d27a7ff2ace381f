import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KernelModuleResource } from '../../src/resources/kernel-module.js';
import { missingModulesProbe, parseMissingModules } from '../../src/resources/module-presence.js';
import { splitProbeSections } from '../../src/resources/probe-sections.js';

/**
 * A plan with nothing to change runs no modprobe for a module the kernel has built in: modprobe
 * loads the kernel's whole module index on each call, on every node, at every plan. Each probe
 * really runs in a shell against a host root in a temp directory (its /proc, /sys/module and
 * /lib/modules), with a modprobe on PATH that records its calls.
 */
const RELEASE = '6.1.0-test-amd64';
let root: string;
let bin: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gridops-builtin-'));
  bin = join(root, 'bin');
  const files: Record<string, string> = {
    'proc/sys/kernel/osrelease': `${RELEASE}\n`,
    'proc/modules': 'tun 61440 0 - Live 0x0000000000000000\n',
    [`lib/modules/${RELEASE}/modules.dep`]: 'kernel/drivers/net/tun.ko:\n',
    [`lib/modules/${RELEASE}/modules.builtin`]: ['kernel/net/sched/sch_ingress.ko', 'kernel/net/sched/cls_u32.ko', 'kernel/net/sched/act_mirred.ko', 'kernel/drivers/net/dummy-ish.ko', 'kernel/crypto/crc32c_generic.ko', ''].join('\n'),
    [`lib/modules/${RELEASE}/modules.builtin.alias`]: 'alias crc32c crc32c_generic\nalias crypto-crc32c crc32c_generic\n',
    'sys/module/tun/initstate': 'live\n',
    'bin/modprobe': `#!/bin/sh\necho "$*" >> ${root}/modprobe-calls\nexit 1\n`,
  };
  for (const [path, content] of Object.entries(files)) (mkdirSync(dirname(join(root, path)), { recursive: true }), writeFileSync(join(root, path), content));
  chmodSync(join(bin, 'modprobe'), 0o755);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Runs `probe` on the host root: its absolute paths of /proc, /sys and /lib/modules moved there. */
const run = (probe: string) =>
  execFileSync('/bin/sh', ['-c', probe.replaceAll('/proc/', `${root}/proc/`).replaceAll('/sys/module/', `${root}/sys/module/`).replaceAll('/lib/modules/', `${root}/lib/modules/`)], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
const modprobeCalls = () => (existsSync(join(root, 'modprobe-calls')) ? readFileSync(join(root, 'modprobe-calls'), 'utf8').trim().split('\n') : []);

describe('a module built into the kernel costs the plan no modprobe', () => {
  it("the egress limits' modules (sch_ingress, cls_u32, act_mirred built in, tun loaded): none missing, no modprobe", () => {
    expect(parseMissingModules(run(missingModulesProbe(['sch_ingress', 'cls_u32', 'act_mirred', 'tun'])))).toEqual([]);
    expect(modprobeCalls()).toEqual([]);
  });

  it('a module in none of them is still asked of modprobe, and missing where it finds nothing', () => {
    expect(parseMissingModules(run(missingModulesProbe(['sch_ingress', 'sch_nosuch'])))).toEqual(['sch_nosuch']);
    expect(modprobeCalls()).toEqual(['-n -q -- sch_nosuch']);
  });

  it('kernel-module: built in without /sys/module/NAME/initstate (an `_` its file spells `-` too) is loaded, with no modprobe', () => {
    expect(splitProbeSections(run(new KernelModuleResource('sch_ingress').probe()))[0]!.trim()).toBe('loaded');
    expect(splitProbeSections(run(new KernelModuleResource('dummy_ish').probe()))[0]!.trim()).toBe('loaded');
    expect(splitProbeSections(run(new KernelModuleResource('tun').probe()))[0]!.trim()).toBe('loaded');
    expect(modprobeCalls()).toEqual([]);
  });

  it('kernel-module: a built-in alias (crc32c) resolves by modules.builtin.alias, with no modprobe', () => {
    expect(splitProbeSections(run(new KernelModuleResource('crc32c').probe()))[0]!.trim()).toBe('not-loaded\nresolves crc32c_generic');
    expect(modprobeCalls()).toEqual([]);
  });

  it('kernel-module: a module neither loaded nor built in is asked of modprobe, as before', () => {
    expect(splitProbeSections(run(new KernelModuleResource('sch_nosuch').probe()))[0]!.trim()).toBe('not-loaded\nabsent');
    expect(modprobeCalls()).toEqual(['-R -- sch_nosuch', '-n -q -- sch_nosuch']);
  });
});
