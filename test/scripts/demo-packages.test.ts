import { readFileSync } from 'node:fs';
import { preflightProblems, type MachineFacts } from '../../src/lab/preflight.js';

/**
 * scripts/demo.sh installs the host's packages before `gridops lab up --kind container`: exactly
 * what that kind's preflight asks for, so the demo never fails its own preflight, and never more
 * (openssh-server would give the machine a host-wide sshd that the container lab does not use).
 */
const demo = readFileSync(new URL('../../scripts/demo.sh', import.meta.url), 'utf8');
const demoPackages = /^PACKAGES=\((.*)\)$/m.exec(demo)![1]!.trim().split(/\s+/);

/** The packages preflight names for the container kind on a root Linux machine that has none of its commands. */
function containerPackages(): string[] {
  const bare: MachineFacts = { platform: 'linux', uid: 0, has: () => false, v1Controllers: ['cpu', 'cpuacct', 'memory', 'pids'], memAvailableMiB: 8192, devices: { tun: true } };
  const missing = preflightProblems('container', 1, bare).find((p) => p.message.startsWith('missing package'))!;
  return missing.message.replace(/^.*: /, '').split(' ');
}

describe('the demo installs what the container lab needs on the host', () => {
  it("its package list is the container kind's preflight needs, no more (no openssh-server)", () => {
    expect([...demoPackages].sort()).toEqual([...containerPackages()].sort());
    expect(demoPackages).not.toContain('openssh-server');
  });

  it('brings up a container lab, the kind those packages are for', () => {
    expect(demo).toMatch(/lab up --kind container /);
    expect(demo).not.toMatch(/GRIDOPS_DEMO_KIND/);
  });
});
