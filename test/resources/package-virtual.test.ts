import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servableProbes } from '../../src/resources/file-queries.js';
import { PackageResource } from '../../src/resources/package.js';
import { facts, node } from './fixtures.js';

/**
 * A host's package database as the managers' queries answer it: mawk installed, providing the
 * virtual package awk; awk itself known to dpkg only as not installed (as on Debian 12); coreutils
 * installed; a half-removed package (lynx) that still lists what it provided; a multi-arch library
 * installed for one architecture and half-installed for another (libmulti), and one installed for
 * none (libhalf): `${Package}` is the name without the architecture, one line each.
 */
const DPKG_QUERY = `#!/bin/sh
# dpkg-query -W -f='\${Package}|\${Status}|\${Provides}\\n', as the probe asks it: every package dpkg knows, one line each
[ "$*" = '-W -f=\${Package}|\${Status}|\${Provides}\\n' ] || exit 2
echo 'mawk|install ok installed|awk, mawk-compat (= 1.3.4)'
echo 'coreutils|install ok installed|'
echo 'awk|unknown ok not-installed|'
echo 'lynx|deinstall ok config-files|www-browser'
echo 'libmulti|install ok half-installed|'
echo 'libmulti|install ok installed|'
echo 'libhalf|install ok half-installed|'
echo 'libhalf|install ok unpacked|'
`;

const RPM = `#!/bin/sh
# rpm -q NAME, rpm -q --whatprovides NAME
case "$*" in
  '-q bash') echo bash-5.2 ;;
  '-q --whatprovides /usr/bin/awk'|'-q --whatprovides awk') echo gawk-5.1 ;;
  *) echo "package $* is not installed"; exit 1 ;;
esac
`;

/** The package probe's stdout on a host whose PATH has only `tool` (this machine's own dpkg-query or rpm left out), grep and awk. */
function probeWith(tool: 'dpkg-query' | 'rpm', packages: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-pkg-'));
  try {
    writeFileSync(join(dir, tool), tool === 'rpm' ? RPM : DPKG_QUERY);
    chmodSync(join(dir, tool), 0o755);
    for (const basic of ['grep', 'awk']) symlinkSync(execFileSync('/bin/sh', ['-c', `command -v ${basic}`], { encoding: 'utf8' }).trim(), join(dir, basic));
    return execFileSync('/bin/sh', ['-c', new PackageResource(packages).probe()], { encoding: 'utf8', env: { PATH: dir } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('packages: a virtual package counts as installed when an installed package provides it', () => {
  it('apt: awk, provided by installed mawk, is installed; a name only a removed package provided is missing', () => {
    expect(probeWith('dpkg-query', ['coreutils', 'awk', 'mawk-compat', 'www-browser', 'lynx', 'nosuch'])).toBe(
      'coreutils installed\nawk installed\nmawk-compat installed\nwww-browser missing\nlynx missing\nnosuch missing\n',
    );
  });

  it('apt: a package of several architectures is installed where one of them is ok installed', () => {
    expect(probeWith('dpkg-query', ['libmulti', 'libhalf'])).toBe('libmulti installed\nlibhalf missing\n');
  });

  it('dnf: a name rpm -q --whatprovides answers is installed', () => {
    expect(probeWith('rpm', ['bash', 'awk', 'nosuch'])).toBe('bash installed\nawk installed\nnosuch missing\n');
  });

  it('so a plan for a provided name has no change', () => {
    const r = new PackageResource(['awk']);
    expect(r.diff(probeWith('dpkg-query', ['awk']), { node: node(), facts: facts() })).toBeNull();
  });

  it('a name a package provides is matched whole, not as a prefix or a regular expression', () => {
    expect(probeWith('dpkg-query', ['aw', 'mawk.compat', 'wk'])).toBe('aw missing\nmawk.compat missing\nwk missing\n');
  });

  it('the read without a shell serves no package probe, so the shell read is the only one that answers it', () => {
    expect(servableProbes([new PackageResource(['awk']).probe()])).toBeUndefined();
  });
});
