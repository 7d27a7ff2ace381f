import { PlanningError } from '../errors/index.js';
import type { HostFacts } from '../facts/host-facts.js';
import { quote } from '../transport/quote.js';
import { packageManagerFor } from './package-managers.js';
import type { StepRecorder } from './step-recorder.js';

/**
 * The programs a resource runs on the node that the node may lack, and the packages gridops
 * installs for them with the change, as the README promises (a node without tc or nft gets
 * iproute2/nftables), rather than failing the plan.
 */

/** Where each tool comes from (Debian and Fedora name both packages alike). */
const TOOL_PACKAGES = { tc: 'iproute2', ip: 'iproute2', nft: 'nftables' } as const;
export type Tool = keyof typeof TOOL_PACKAGES;

/** A probe section that prints each of `tools` the node has, one a line. */
export function toolsProbe(tools: readonly Tool[]): string {
  return `for t in ${tools.map(quote).join(' ')}; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done`;
}

/** The tools toolsProbe found. */
export function parseTools(section: string): Set<string> {
  return new Set(section.split('\n').map((l) => l.trim()).filter(Boolean));
}

/**
 * The packages that bring the tools the node lacks, each once. A plan error, for `where`
 * (`NODE: SETTING`), when the node lacks some and has no package manager gridops drives.
 */
export function packagesForMissingTools(tools: readonly Tool[], found: ReadonlySet<string>, facts: HostFacts, where: string, nodeName: string): string[] {
  const missing = tools.filter((t) => !found.has(t));
  const packages = [...new Set(missing.map((t) => TOOL_PACKAGES[t]))];
  if (packages.length && !packageManagerFor(facts)) throw new PlanningError(`${where} needs ${packages.join(' and ')} (for ${missing.join(', ')}), which ${nodeName} lacks and gridops cannot install (no supported package manager)`, `install ${packages.join(' and ')} on ${nodeName}`);
  return packages;
}

/** Installs what packagesForMissingTools returned, before the commands that need them. */
export async function installTools(packages: readonly string[], facts: HostFacts, writer: StepRecorder): Promise<void> {
  await packageManagerFor(facts)!.install(packages, writer);
}
