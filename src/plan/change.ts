/**
 * A planned change on one host: plain data, saved in plan.json and shown as a diff.
 * Never holds a secret: sensitive content is represented by its hash only.
 */
export type ChangeAction = 'create' | 'update' | 'delete' | 'run' | 'none';

/** One attribute that differs, shown as `name: before -> after`. */
export interface FieldChange {
  name: string;
  before: string | null;
  after: string | null;
}

interface BaseChange {
  /** Unique per host, e.g. `file /etc/gridops/node.json`; also the key that binds a change to its resource. */
  id: string;
  action: ChangeAction;
  /** One human line, e.g. `load module dummy and persist it`. */
  summary: string;
  fields: FieldChange[];
  /** Unified diff of file content; absent for sensitive or binary content. */
  diff?: string;
  /** Handlers to run once on this host after its changes. */
  notify?: string[];
}

export interface FileChange extends BaseChange {
  kind: 'file';
  path: string;
  /** sha256 of the content to be written; lets a saved plan prove it still matches. */
  contentSha256: string;
  sensitive: boolean;
}
export interface DirectoryChange extends BaseChange {
  kind: 'directory';
  path: string;
}
export interface LineChange extends BaseChange {
  kind: 'line';
  path: string;
  contentSha256: string;
  /** The whole file after the edit (it depends on what the host has, so the change carries it: diff stays pure). */
  content: string;
  mode: string;
}
export interface PackageChange extends BaseChange {
  kind: 'package';
  manager: string;
  packages: string[];
}
export interface KernelModuleChange extends BaseChange {
  kind: 'kernel-module';
  module: string;
  steps: Array<'load' | 'persist' | 'options'>;
}
export interface SysctlChange extends BaseChange {
  kind: 'sysctl';
  key: string;
  value: string;
  steps: Array<'set' | 'persist'>;
}
export interface SystemdUnitChange extends BaseChange {
  kind: 'systemd-unit';
  unit: string;
  contentSha256: string;
  steps: Array<'write' | 'enable' | 'disable' | 'start' | 'restart' | 'stop'>;
}
export interface CommandChange extends BaseChange {
  kind: 'command';
  /** The command as it will run, already quoted. */
  command: string;
}

/** Paths gridops made, found on the host and to be removed (reset, decommission). */
export interface AbsentPathsChange extends BaseChange {
  kind: 'absent-paths';
  /** The paths found at plan time, literal. */
  paths: string[];
}
/** A unit gridops installed, to be stopped, disabled and removed. */
export interface AbsentUnitChange extends BaseChange {
  kind: 'absent-unit';
  unit: string;
  steps: Array<'stop' | 'disable' | 'remove'>;
}

export type Change = AbsentPathsChange | AbsentUnitChange | FileChange | DirectoryChange | LineChange | PackageChange | KernelModuleChange | SysctlChange | SystemdUnitChange | CommandChange;
export type ChangeKind = Change['kind'];

/** A change that changes nothing: a note the plan shows (e.g. a module built into the kernel). */
export function isNote(change: Change): boolean {
  return change.action === 'none';
}
