import { moduleFiles } from '../resources/kernel-module.js';
import { sysctlFiles } from '../resources/sysctl.js';
import type { PlaybookResource } from './schema.js';

/** A value instantiate.ts uses as it is written: substitute() leaves a string with no `{{` unchanged. */
const literal = (value: string) => !value.includes('{{');

/**
 * The paths a valid playbook entry writes on every node it runs on (the resource's `writes`), when
 * the entry alone says them: for values written without substitution. Empty for an entry whose
 * paths are known per node only (a `{{...}}` value, `sysctls`, `kernel-modules`: the planner
 * compares those per host, engine/overlapping-writes.ts), for one that writes no file, and for a
 * command, whose `creates` is the marker it tests, not content gridops writes.
 */
export function literalWrittenPaths(entry: PlaybookResource): string[] {
  if ('file' in entry) return literal(entry.file.path) ? [entry.file.path] : [];
  if ('directory' in entry) return literal(entry.directory.path) ? [entry.directory.path] : [];
  if ('line' in entry) return literal(entry.line.path) ? [entry.line.path] : [];
  if ('systemd-unit' in entry) return literal(entry['systemd-unit'].unit) ? [`/etc/systemd/system/${entry['systemd-unit'].unit}`] : [];
  if ('sysctl' in entry) return literal(entry.sysctl.key) ? sysctlFiles(entry.sysctl.key) : [];
  if ('kernel-module' in entry) {
    if (!literal(entry['kernel-module'].name)) return [];
    const { loadFile, optionsFile } = moduleFiles(entry['kernel-module'].name);
    return [loadFile, optionsFile];
  }
  return [];
}
