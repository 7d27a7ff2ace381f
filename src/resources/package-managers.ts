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

const apt: PackageManager = {
  name: 'apt',
  matches: (f) => f.packageManager === 'apt',
  detect: 'command -v dpkg-query >/dev/null 2>&1',
  probe: (packages) =>
    packages
      .map((p) => `if dpkg-query -W -f='\${Status}' ${sh([p])} 2>/dev/null | grep -q 'ok installed'; then echo ${sh([p])} installed; else echo ${sh([p])} missing; fi`)
      .join('\n'),
  async install(packages, recorder) {
    await recorder.aptUpdateOnce();
    await recorder.run(`DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends ${sh(packages)}`, `apt-get install ${packages.join(' ')}`, { timeoutMs: 900_000 });
  },
};

const dnf: PackageManager = {
  name: 'dnf',
  matches: (f) => f.packageManager === 'dnf' || f.packageManager === 'yum',
  detect: 'command -v rpm >/dev/null 2>&1',
  probe: (packages) => packages.map((p) => `if rpm -q ${sh([p])} >/dev/null 2>&1; then echo ${sh([p])} installed; else echo ${sh([p])} missing; fi`).join('\n'),
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
