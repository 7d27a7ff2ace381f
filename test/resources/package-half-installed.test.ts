import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackageResource } from '../../src/resources/package.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node } from './fixtures.js';

/**
 * dpkg's `${Status}` (want, error flag, state) of each package on a host where a dpkg run was
 * interrupted: what `dpkg -l` shows as iU, iF, iH, Ri, it and iW next to the installed ones (ii, hi,
 * and ri: installed, only marked for removal).
 */
const STATUS: Record<string, string> = {
  'unpacked-only': 'install ok unpacked',
  'half-configured': 'install ok half-configured',
  'half-installed': 'install ok half-installed',
  'needs-reinstall': 'install reinstreq half-installed',
  provider: 'install ok half-configured',
  'triggers-pending': 'install ok triggers-pending',
  'triggers-awaited': 'install ok triggers-awaited',
  installed: 'install ok installed',
  held: 'hold ok installed',
  'marked-for-removal': 'deinstall ok installed',
};
/** What the half-configured `provider` lists in Provides: it provides nothing until it is configured. */
const PROVIDES: Record<string, string> = { provider: 'virtual-name' };

/** The package probe's stdout with a fake dpkg-query listing STATUS (and awk) as the only tools on PATH. */
function probe(packages: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-pkg-half-'));
  try {
    // `dpkg-query -W -f='${Package}|${Status}|${Provides}\n'`, as the probe asks it: every package, one line each.
    const all = Object.entries(STATUS).map(([name, status]) => `printf '%s|%s|%s\\n' ${quote(name)} ${quote(status)} ${quote(PROVIDES[name] ?? '')}`);
    writeFileSync(join(dir, 'dpkg-query'), ['#!/bin/sh', `[ "$*" = ${quote('-W -f=${Package}|${Status}|${Provides}\\n')} ] || exit 2`, ...all].join('\n'));
    chmodSync(join(dir, 'dpkg-query'), 0o755);
    for (const basic of ['awk']) symlinkSync(execFileSync('/bin/sh', ['-c', `command -v ${basic}`], { encoding: 'utf8' }).trim(), join(dir, basic));
    return execFileSync('/bin/sh', ['-c', new PackageResource(packages).probe()], { encoding: 'utf8', env: { PATH: dir } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('packages: one an interrupted dpkg left unpacked or half-configured is not installed, so the plan installs it', () => {
  it('unpacked, half-configured, half-installed and reinstreq read as missing; installed, held and marked for removal as installed', () => {
    expect(probe(['unpacked-only', 'half-configured', 'half-installed', 'needs-reinstall', 'installed', 'held', 'marked-for-removal'])).toBe(
      'unpacked-only missing\nhalf-configured missing\nhalf-installed missing\nneeds-reinstall missing\ninstalled installed\nheld installed\nmarked-for-removal installed\n',
    );
  });

  it("triggers-pending and triggers-awaited read as missing, as Ansible's apt module reads only `ok installed` as installed: the install then runs the triggers (apt-dpkg-interrupted.test.ts)", () => {
    expect(probe(['triggers-pending', 'triggers-awaited', 'installed'])).toBe('triggers-pending missing\ntriggers-awaited missing\ninstalled installed\n');
  });

  it('a name only a half-configured package provides is missing too', () => {
    expect(probe(['virtual-name'])).toBe('virtual-name missing\n');
  });

  it('so the plan has a change that installs the half-configured package, and none once it is configured', () => {
    const r = new PackageResource(['half-configured', 'installed']);
    const change = r.diff(probe(['half-configured', 'installed']), { node: node(), facts: facts() });
    expect(change?.packages).toEqual(['half-configured']);
    expect(r.diff('half-configured installed\ninstalled installed\n', { node: node(), facts: facts() })).toBeNull();
  });
});
