import type { HostFacts } from '../facts/host-facts.js';
import { sh } from '../transport/quote.js';
import type { StepRecorder } from './step-recorder.js';

/**
 * Per-OS package handling as a registry of matchers (k0sctl's configurer registry), not `if`
 * chains in resources. The first manager whose `matches` accepts the host's facts is used.
 */
export interface PackageManager {
  name: string;
  matches(facts: HostFacts): boolean;
  /** A shell test that is true on hosts of this manager (the probe runs before facts are known). */
  detect: string;
  /** Prints one line per package: `NAME installed` or `NAME missing`. */
  probe(packages: readonly string[]): string;
  install(packages: readonly string[], recorder: StepRecorder): Promise<void>;
}

/**
 * Reads `${Status}|${Provides}` lines and prints `NAME installed` or `NAME missing` for each name
 * in $GRIDOPS_PACKAGES: installed when an installed package lists it in Provides (each entry is a
 * name, maybe with ` (= VERSION)`, entries separated by `, `). Names compared whole, as strings.
 */
const PROVIDED_AWK = [
  'BEGIN { n = split(ENVIRON["GRIDOPS_PACKAGES"], want, " ") }',
  '$1 ~ / ok installed$/ { k = split($2, p, ", "); for (i = 1; i <= k; i++) { sub(/ .*/, "", p[i]); provided[p[i]] = 1 } }',
  'END { for (i = 1; i <= n; i++) print want[i], (want[i] in provided ? "installed" : "missing") }',
].join('\n');

const apt: PackageManager = {
  name: 'apt',
  matches: (f) => f.packageManager === 'apt',
  detect: 'command -v dpkg-query >/dev/null 2>&1',
  probe: (packages) =>
    [
      'v=',
      ...packages.map((p) => `if dpkg-query -W -f='\${Status}' ${sh([p])} 2>/dev/null | grep -q 'ok installed'; then echo ${sh([p])} installed; else v="$v "${sh([p])}; fi`),
      // A name no installed package has may be a virtual one an installed package provides (awk,
      // by mawk): apt-get cannot install it (no installation candidate), so it counts as
      // installed. One listing of the installed packages' Provides for all such names, and none
      // where every name is a package installed under its own name.
      `if [ -n "$v" ]; then dpkg-query -W -f='\${Status}|\${Provides}\\n' 2>/dev/null | GRIDOPS_PACKAGES="$v" awk -F'|' ${sh([PROVIDED_AWK])}; fi`,
    ].join('\n'),
  async install(packages, recorder) {
    await recorder.aptInstall(packages);
  },
};

const dnf: PackageManager = {
  name: 'dnf',
  matches: (f) => f.packageManager === 'dnf' || f.packageManager === 'yum',
  detect: 'command -v rpm >/dev/null 2>&1',
  // `--whatprovides`: a virtual name (awk, /usr/bin/awk) an installed package provides is installed.
  probe: (packages) => packages.map((p) => `if rpm -q ${sh([p])} >/dev/null 2>&1 || rpm -q --whatprovides ${sh([p])} >/dev/null 2>&1; then echo ${sh([p])} installed; else echo ${sh([p])} missing; fi`).join('\n'),
  async install(packages, recorder) {
    await recorder.run(`dnf install -y -q ${sh(packages)}`, `dnf install ${packages.join(' ')}`, { timeoutMs: 900_000 });
  },
};

export const PACKAGE_MANAGERS: readonly PackageManager[] = [apt, dnf];

export function packageManagerFor(facts: HostFacts): PackageManager | undefined {
  return PACKAGE_MANAGERS.find((m) => m.matches(facts));
}

/** Probes packages with whichever registered manager the host has; prints nothing if none. */
export function packageProbe(packages: readonly string[]): string {
  return `${PACKAGE_MANAGERS.map((m, i) => `${i === 0 ? 'if' : 'elif'} ${m.detect}; then\n${m.probe(packages)}`).join('\n')}\nfi`;
}
