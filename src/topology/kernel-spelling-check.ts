import type { Problem } from '../errors/problem.js';
import { moduleKey, sysctlFile, sysctlFileKey } from './kernel-names.js';
import { pathToString, positionOf, type PathSegment, type SourceDocument } from './source.js';
import { printableJson } from '../text/printable-json.js';
import { printableText } from '../text/printable-text.js';

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Every level that holds settings: defaults, each region, sub-grid and node, by path. */
function settingLevels(value: unknown): PathSegment[][] {
  const levels: PathSegment[][] = [['defaults']];
  list(obj(value).regions).forEach((region, ri) => {
    levels.push(['regions', ri]);
    list(obj(region).subgrids).forEach((subgrid, si) => {
      levels.push(['regions', ri, 'subgrids', si]);
      list(obj(subgrid).nodes).forEach((_node, ni) => levels.push(['regions', ri, 'subgrids', si, 'nodes', ni]));
    });
  });
  return levels;
}

/**
 * Two spellings of one kernel name at one level: `kvm_intel` and `kvm-intel` in kernel.modules or
 * as kernel.params keys (modprobe reads - and _ alike), `net.ipv4.ip_forward` and
 * `net/ipv4/ip_forward` in kernel.sysctl (one sysctl.d file). The schema compares raw strings and
 * passes them; each node's plan then refused them after connecting. An error at the later
 * spelling, naming the first. (A lower level that respells an inherited key overrides it: resolve.ts.)
 * Runs on the unchecked document: anything not shaped as expected is the schema check's to report.
 */
export function kernelSpellingProblems(value: unknown, source: SourceDocument): Problem[] {
  const problems: Problem[] = [];
  const at = (path: PathSegment[], key: boolean) => positionOf(source, path, { key });
  for (const level of settingLevels(value)) {
    let kernel: unknown = value;
    for (const segment of [...level, 'kernel']) kernel = typeof kernel === 'object' && kernel !== null ? (kernel as Record<PathSegment, unknown>)[segment] : undefined;
    const modules = list(obj(kernel).modules);
    const firstListed = new Map<string, number>();
    modules.forEach((name, i) => {
      if (typeof name !== 'string') return;
      const first = firstListed.get(moduleKey(name));
      if (first === undefined) return void firstListed.set(moduleKey(name), i);
      // The same spelling twice is the schema's uniqueItems problem.
      if (modules[first] === name) return;
      const path = [...level, 'kernel', 'modules', i];
      const was = at([...level, 'kernel', 'modules', first], false);
      problems.push({
        file: source.file,
        ...at(path, false),
        path: pathToString(path),
        message: `kernel module ${printableJson(name)} is ${printableJson(modules[first])} again (listed at ${was.line}:${was.column}): modprobe reads - and _ in a module name alike`,
        hint: `remove this one: kernel.modules lists each module once`,
      });
    });
    const twoKeys = (group: 'params' | 'sysctl', spelling: (key: string) => string, what: (first: string, key: string) => string, hint: string) => {
      const firstKey = new Map<string, string>();
      for (const key of Object.keys(obj(obj(kernel)[group]))) {
        const first = firstKey.get(spelling(key));
        if (first === undefined) {
          firstKey.set(spelling(key), key);
          continue;
        }
        const path = [...level, 'kernel', group, key];
        const was = at([...level, 'kernel', group, first], true);
        problems.push({ file: source.file, ...at(path, true), path: pathToString(path), message: `${what(first, key)} (first at ${was.line}:${was.column})`, hint });
      }
    };
    twoKeys('params', moduleKey, (first, key) => `kernel.params names module ${printableText(moduleKey(key))} twice, as ${printableJson(first)} and ${printableJson(key)}: modprobe reads - and _ in a module name alike`, 'merge their options under one of the two names and remove the other');
    twoKeys('sysctl', sysctlFileKey, (first, key) => `kernel.sysctl sets ${printableText(sysctlFileKey(key))} twice, as ${printableJson(first)} and ${printableJson(key)}: both are the file ${printableText(sysctlFile(key))}`, 'keep one of the two keys and remove the other');
  }
  return problems;
}
