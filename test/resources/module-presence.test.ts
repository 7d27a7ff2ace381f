import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import { EgressLimitResource } from '../../src/resources/egress-limit.js';
import { KernelModuleResource } from '../../src/resources/kernel-module.js';
import { missingModulesProbe } from '../../src/resources/module-presence.js';
import { splitProbeSections } from '../../src/resources/probe-sections.js';
import { SandboxEgressResource } from '../../src/resources/sandbox-egress.js';
import { facts, node } from './fixtures.js';

const S = '@@gridops-probe-section@@\n';
const file = (text: string) => `regular file|644|root|root|${text.length}\n${Buffer.from(text).toString('base64')}\n`;
/** A modular kernel (loadable modules) that has loaded none of the modules asked for. */
const ctx = (kernel = {}) => ({ node: node('n1'), facts: facts({ loadableModules: true, builtinModules: [], loadedModules: [], ...kernel }) });

function planError(plan: () => unknown): PlanningError {
  try {
    plan();
  } catch (e) {
    if (e instanceof PlanningError) return e;
    throw e;
  }
  throw new Error('planned without an error');
}

describe('kernel-module: a module the kernel does not have is a plan error, not a load that fails mid-apply', () => {
  it('modprobe finds no such module (a typo: tunn): the plan names the node, the module and what to do', () => {
    const e = planError(() => new KernelModuleResource('tunn').diff(`not-loaded\nabsent\n${S}absent\n${S}absent\n`, ctx()));
    expect(e.message).toBe('n1: kernel 6.1.0-test has no module tunn (modprobe finds none, nor an alias of that name)');
    expect(e.hint).toContain('check the name in kernel.modules');
  });

  it('a module modprobe finds is planned to load, as before', () => {
    expect(new KernelModuleResource('tun').diff(`not-loaded\nresolves tun\n${S}absent\n${S}absent\n`, ctx())!.summary).toBe('load module tun');
  });

  it('an alias (crc32c) loaded under the module it resolves to (crc32c_generic) is loaded: with its file written, no change', () => {
    const persisted = file('# managed by gridops\ncrc32c\n');
    expect(new KernelModuleResource('crc32c').diff(`not-loaded\nresolves crc32c_generic\n${S}${persisted}${S}absent\n`, ctx({ loadedModules: ['crc32c_generic'] }))).toBeNull();
    // Resolved but not loaded yet: loaded by its alias, as written.
    expect(new KernelModuleResource('crc32c').diff(`not-loaded\nresolves crc32c_generic\n${S}${persisted}${S}absent\n`, ctx())!.steps).toEqual(['load']);
  });

  it("the probe asks modprobe for the names an unloaded module resolves to (a host's modprobe, faked on PATH)", () => {
    const bin = mkdtempSync(join(tmpdir(), 'gridops-modprobe-'));
    try {
      writeFileSync(join(bin, 'modprobe'), '#!/bin/sh\n[ "$1" = -R ] && [ "$3" = gridops_alias_x ] && { echo gridops_real_x; exit 0; }\nexit 1\n');
      chmodSync(join(bin, 'modprobe'), 0o755);
      const stdout = execFileSync('/bin/sh', ['-c', new KernelModuleResource('gridops_alias_x').probe()], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      expect(splitProbeSections(stdout)[0]!.trim()).toBe('not-loaded\nresolves gridops_real_x');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe("the egress limits: a qdisc, action or device module the kernel lacks is a plan error before anything lands", () => {
  const noqueue = '[{"kind":"fq_codel","handle":"0:","dev":"eth0","root":true,"options":{}}]';
  const egressOut = (modules: string) => ['tc\nnft\n', noqueue, '', '', 'cgroup2 \nnft ok\nsocket ok\nfq_codel ok\n', 'absent\n', 'absent\n', 'absent\n', 'disabled\n', 'absent\n', 'inactive\n', '', modules].join(S);

  it('egress-limit: no sch_htb', () => {
    const e = planError(() => new EgressLimitResource(100).diff(egressOut('missing sch_htb\n'), ctx()));
    expect(e.message).toBe('n1: qos.egressMbit needs the kernel module sch_htb, which kernel 6.1.0-test of n1 does not have (modprobe finds no such module)');
    expect(new EgressLimitResource(100).diff(egressOut(''), ctx())!.action).toBe('create');
  });

  it('egress-limit: asks only with a limit to set (a node without one runs no modprobe)', () => {
    expect(new EgressLimitResource(100).probe()).toContain(missingModulesProbe(['sch_htb']));
    expect(new EgressLimitResource(undefined).probe()).not.toContain('modprobe');
  });

  it('sandbox-egress: no ifb or act_mirred, refused before its hook is installed and libvirtd restarted', () => {
    const sandbox = (mbit: number | undefined) => new SandboxEgressResource({ mbit, domain: 'gridops-sandbox', tap: 'gs-sandbox' });
    const out = (modules: string) => ['tc\nip\n', '', '', '', 'absent\n', 'absent\n', modules].join(S);
    const e = planError(() => sandbox(100).diff(out('missing ifb\nmissing act_mirred\n'), ctx()));
    expect(e.message).toBe('n1: qos.egressMbit for the sandbox VM needs the kernel modules ifb, act_mirred, which kernel 6.1.0-test of n1 does not have (modprobe finds no such module)');
    expect(sandbox(100).probe()).toContain(missingModulesProbe(['ifb', 'sch_ingress', 'cls_u32', 'act_mirred', 'sch_htb']));
    // Built into this kernel (modules.builtin): there, whatever modprobe said.
    expect(sandbox(100).diff(out('missing ifb\n'), ctx({ builtinModules: ['ifb'] }))!.steps).toContain('write-hook');
  });
});
