import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restartDomain, stopOrderly } from '../../src/resources/sandbox-replace.js';
import { quote } from '../../src/transport/quote.js';

/**
 * Runs the sandbox's restart (restartDomain: stopOrderly, then `virsh start --force-boot`) with a fake virsh whose domain is in
 * `state` until it is destroyed or shut down; like libvirt, `start` fails on a domain still active.
 * `acpi`: the guest honours the ACPI shutdown. `offAfterReads`: it goes off by itself after that many reads of its state.
 */
const restart = (state: string, acpi = false, offAfterReads = 0) => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-stop-'));
  try {
    const f = (name: string) => join(dir, name);
    writeFileSync(
      f('virsh'),
      [
        '#!/bin/sh',
        `echo "$*" >> ${quote(f('calls'))}`,
        'case "$*" in',
        `  *domstate*) echo x >> ${quote(f('reads'))}; if [ ${offAfterReads} -gt 0 ] && [ "$(wc -l < ${quote(f('reads'))})" -gt ${offAfterReads} ]; then touch ${quote(f('off'))}; fi`,
        `    if [ -e ${quote(f('off'))} ]; then echo 'shut off'; else echo ${quote(state)}; fi ;;`,
        `  *shutdown*) ${acpi ? `touch ${quote(f('off'))}` : 'exit 0'} ;;`,
        `  *destroy*) touch ${quote(f('off'))} ;;`,
        `  *" start "*) if [ ! -e ${quote(f('off'))} ]; then echo "error: Requested operation is not valid: domain is already active" >&2; exit 1; fi ;;`,
        'esac',
        'exit 0',
      ].join('\n'),
    );
    chmodSync(f('virsh'), 0o755);
    const script = `set -e\n${restartDomain('gridops-sandbox')}`;
    const r = spawnSync('/bin/sh', ['-c', script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8', timeout: 30_000 });
    const calls = readFileSync(f('calls'), 'utf8').trim().split('\n').filter((c) => !c.includes('domstate')).map((c) => c.replace('-q -c qemu:///system ', ''));
    return { status: r.status, stderr: r.stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

describe('stopping the sandbox VM before a restart (a real shell, a fake virsh)', () => {
  it.each(['paused', 'pmsuspended', 'crashed', 'blocked'])('a VM %s is active too: it is destroyed, so the start that follows succeeds', (state) => {
    const r = restart(state);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.calls).toContain('destroy gridops-sandbox');
    expect(r.calls.at(-1)).toBe('start --force-boot gridops-sandbox');
  });

  it('a paused VM gets no ACPI request it cannot answer (no wait): it is destroyed at once', () => {
    expect(restart('paused').calls).toEqual(['destroy gridops-sandbox', 'start --force-boot gridops-sandbox']);
  });

  it('a running VM is asked to shut down first, and not destroyed when it does', () => {
    expect(restart('running', true).calls).toEqual(['shutdown gridops-sandbox', 'start --force-boot gridops-sandbox']);
  });

  it('a VM already in shutdown is waited for, not asked again', () => {
    expect(restart('in shutdown', false, 3).calls).toEqual(['start --force-boot gridops-sandbox']);
  });

  it('boots afresh (--force-boot): a managed-save image would otherwise be restored, old definition and all', () => {
    expect(restart('shut off').calls).toEqual(['start --force-boot gridops-sandbox']);
  });

  it('a VM already shut off is only started', () => {
    expect(restart('shut off').calls).toEqual(['start --force-boot gridops-sandbox']);
  });

  it('reads the state under LC_ALL=C: virsh translates "shut off"', () => {
    expect(stopOrderly('gridops-sandbox').join('\n')).not.toMatch(/\$\((?!LC_ALL=C )virsh/);
  });
});
