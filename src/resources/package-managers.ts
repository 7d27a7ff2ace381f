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
 * Reads dpkg-query's `${Package}|${Status}|${Provides}` line of every package dpkg has, and prints
 * `NAME installed` or `NAME missing` for each name in $GRIDOPS_PACKAGES, in their order. Installed:
 * a package of that name (of any architecture) is `ok installed`, or an installed package lists the
 * name in Provides (each entry a name, maybe with ` (= VERSION)`, entries separated by `, `): a
 * virtual name (awk, by mawk) has no installation candidate for apt-get, so it counts as installed.
 * Only `ok installed`, as Ansible's apt module: an unpacked, half-configured or triggers-pending
 * package is missing (apt-scripts.ts runs its triggers). Names compared whole, as strings: the
 * playbook schema allows only plain names (no architecture, no glob). awk is asked on every read
 * (it was only where a name was not installed under its own): Debian's mawk is of priority
 * required, and a host without it prints no status, which the plan refuses (package.ts).
 */
const INSTALLED_AWK = [
  'BEGIN { n = split(ENVIRON["GRIDOPS_PACKAGES"], want, " ") }',
  '$2 !~ / ok installed$/ { next }',
  '{ installed[$1] = 1; k = split($3, p, ", "); for (i = 1; i <= k; i++) { sub(/ .*/, "", p[i]); installed[p[i]] = 1 } }',
  'END { for (i = 1; i <= n; i++) print want[i], (want[i] in installed ? "installed" : "missing") }',
].join('\n');

const apt: PackageManager = {
  name: 'apt',
  matches: (f) => f.packageManager === 'apt',
  detect: 'command -v dpkg-query >/dev/null 2>&1',
  // One listing of every package for all names, not a dpkg-query (and a grep) per name: each costs
  // the host a process and a read of dpkg's whole database (7 names: 14 processes in a read, 2 now).
  probe: (packages) => `dpkg-query -W -f='\${Package}|\${Status}|\${Provides}\\n' 2>/dev/null | GRIDOPS_PACKAGES=${sh([packages.join(' ')])} awk -F'|' ${sh([INSTALLED_AWK])}`,
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
