import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { closestName } from './closest-name.js';

/** playbooks/ at the package root: gridops' own playbooks, one NAME.yaml each. */
export const BUILTIN_PLAYBOOKS_DIR = join(PACKAGE_ROOT, 'playbooks');

let builtins: string[] | undefined;

/** The names of gridops' own playbooks (node-base, qos...), sorted. */
export function builtinPlaybooks(): string[] {
  builtins ??= readdirSync(BUILTIN_PLAYBOOKS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
  return builtins;
}

/** Where relative references resolve from, and how messages say so. */
export interface PlaybookBase {
  dir: string;
  /** "the current directory", "the topology file" */
  relativeTo: string;
  /** "in the current directory", "beside the topology file" */
  where: string;
}

/** `--playbook` on the command line: relative to where gridops runs, as any file argument. */
export const FROM_CURRENT_DIRECTORY: PlaybookBase = { dir: '.', relativeTo: 'the current directory', where: 'in the current directory' };

/** A reference written in a topology: relative to the topology file, like its other paths. */
export function fromTopology(topologyFile: string): PlaybookBase {
  return { dir: dirname(topologyFile), relativeTo: 'the topology file', where: 'beside the topology file' };
}

/** What a playbook reference names: its file (an absolute path), and for one of gridops' own its name; no file when it names none. */
export interface PlaybookTarget {
  file?: string;
  builtin?: string;
}

const isFile = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;

/**
 * What a playbook reference names, as an Ansible user expects of a playbook argument: a reference
 * with a `/`, or ending in .yaml or .yml, is a file, relative to `base`. Else it is one of gridops'
 * own playbooks by that name; else a file of that name that exists in `base`. A name that is both
 * is gridops' own: the same reference then runs the same playbook from any directory, as a saved
 * plan and the state name it, and `./NAME` runs the file (shadowingFile finds the file, for the
 * warning that says which one was used).
 */
export function playbookTarget(ref: string, base: PlaybookBase = FROM_CURRENT_DIRECTORY): PlaybookTarget {
  if (ref.includes('/') || /\.ya?ml$/.test(ref)) return { file: resolve(base.dir, ref) };
  if (builtinPlaybooks().includes(ref)) return { builtin: ref, file: join(BUILTIN_PLAYBOOKS_DIR, `${ref}.yaml`) };
  const file = resolve(base.dir, ref);
  return isFile(file) ? { file } : {};
}

/** The file a bare built-in name also names in `base`, which that name does not run; undefined when there is none. */
export function shadowingFile(ref: string, base: PlaybookBase = FROM_CURRENT_DIRECTORY): string | undefined {
  if (!playbookTarget(ref, base).builtin) return undefined;
  const file = resolve(base.dir, ref);
  return isFile(file) ? file : undefined;
}

/** The warning for a reference that runs gridops' own playbook while a file of that name exists, and what to write for the file. */
export function shadowWarning(ref: string, file: string): { message: string; hint: string } {
  return { message: `${ref} runs gridops' own playbook ${ref}, not the file ${file}`, hint: `to run the file, write ./${ref}` };
}

/** Why a reference names no playbook, and what to write instead: gridops' names, or the file's path. */
export function unknownPlaybook(ref: string, base: PlaybookBase): { message: string; hint: string } {
  const names = builtinPlaybooks();
  const near = closestName(ref, names);
  const sibling = ['.yaml', '.yml'].map((ext) => `${ref}${ext}`).find((f) => isFile(resolve(base.dir, f)));
  const byPath = `a file is given by its path, relative to ${base.relativeTo}`;
  const hint = sibling ? `did you mean ./${sibling}? (${byPath})` : `${near ? `did you mean ${near}? ` : ''}${byPath}, e.g. ./${ref}.yaml`;
  return { message: `no playbook named ${ref}: gridops' own are ${names.join(', ')}, and there is no file ${ref} ${base.where}`, hint };
}
