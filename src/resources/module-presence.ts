import { PlanningError } from '../errors/index.js';
import type { HostFacts } from '../facts/host-facts.js';
import { quote } from '../transport/quote.js';

/**
 * Whether the kernel modules a change needs exist, asked of the host before anything is applied:
 * on a modular kernel the facts say only that modules can load, not which ones this kernel has, and
 * a missing one (a typo, a module left out of this kernel's package) failed mid-apply.
 */

/**
 * The running kernel's modules tree is on this root, and modprobe is there to read it: only then is
 * modprobe's "not found" an answer. A container has neither as a rule, while its host's kernel
 * loads what tc asks for (the kernel runs the host's modprobe), so there nothing is said.
 */
const MODPROBE_KNOWS = 'kr=; read -r kr < /proc/sys/kernel/osrelease; [ -n "$kr" ] && [ -e "/lib/modules/$kr/modules.dep" ] && command -v modprobe >/dev/null 2>&1';

/**
 * A `grep` pattern (BRE) for `name`'s line in the kernel's modules.builtin
 * (`kernel/net/sched/sch_ingress.ko`): its file name may spell an `_` of the module's name as `-`.
 */
export function builtinModuleLine(name: string): string {
  return `/${name.replace(/[-_]/g, '[-_]')}\\.ko$`;
}

/** The running kernel's list of built-in modules, once the shell has its release in $kr (as MODPROBE_KNOWS reads it). */
const MODULES_BUILTIN = '"/lib/modules/$kr/modules.builtin"';

/**
 * A probe that prints `missing NAME` for each module of `names` that is neither in /sys/module
 * (loaded, or built in with parameters), nor in modules.builtin (built in: sch_ingress, cls_u32 and
 * act_mirred are on Debian's kernels, with no /sys/module directory), nor found by modprobe's dry run
 * (which resolves aliases). modprobe runs only for a module in neither: a host that has them all
 * loaded or built in runs no modprobe, which loads the kernel's whole module index each time.
 */
export function missingModulesProbe(names: readonly string[]): string {
  const checks = names.map((n) => `[ -d ${quote(`/sys/module/${n}`)} ] || grep -qs -e ${quote(builtinModuleLine(n))} ${MODULES_BUILTIN} || modprobe -n -q -- ${quote(n)} 2>/dev/null || echo ${quote(`missing ${n}`)}`);
  return `if ${MODPROBE_KNOWS}; then ${checks.join('; ')}; fi`;
}

/** The modules missingModulesProbe's output says are missing. */
export function parseMissingModules(section: string): string[] {
  return section.split('\n').flatMap((l) => (l.startsWith('missing ') ? [l.slice('missing '.length).trim()] : []));
}

/**
 * Throws the plan error for the first missing module a modular kernel does not have built in (a
 * kernel that cannot load modules is judged by its built-ins alone, by the caller).
 */
export function refuseMissingModules(missing: readonly string[], facts: HostFacts, where: string, node: string, remedy: string): void {
  if (!facts.kernel.loadableModules) return;
  const absent = missing.filter((m) => !facts.kernel.builtinModules.includes(m));
  if (absent.length === 0) return;
  throw new PlanningError(
    `${where} needs the kernel module${absent.length > 1 ? 's' : ''} ${absent.join(', ')}, which kernel ${facts.kernel.release} of ${node} does not have (modprobe finds no such module)`,
    `install this kernel's extra modules (e.g. Debian's linux-image package of the running kernel, Ubuntu's linux-modules-extra-${facts.kernel.release}), ${remedy}`,
  );
}
