import type { StepRecorder } from './step-recorder.js';
import type { FieldChange, SystemdUnitChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import { fixAttributes } from './file-attributes.js';
import { contentDiff, fileProbe, parseFileState, sha256 } from './file-state.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import type { Resource } from './resource.js';
import { resourceId } from './resource-id.js';

/**
 * `systemctl is-enabled` states that neither `systemctl enable` nor `disable` change (they exit 0
 * with a warning): a unit with no [Install] section is `static`, one only named by another's Also=
 * or a template `indirect`, a generator's `generated`, an alias name `alias`. Such a unit is as
 * enabled or disabled as it can be, so `enabled` must not plan a step on every run. Not among them:
 * `enabled-runtime`, whose links are under /run and gone at reboot (`systemctl enable` makes them persist).
 */
const FIXED_STATES = new Set(['static', 'indirect', 'generated', 'alias']);

/** The mode every unit file is written with. */
const UNIT_MODE = '0644';

/**
 * Whether systemd runs an older definition of the unit than its files on disk, and whether it says
 * so of every unit: the probe's `systemctl show -p ActiveState -p NeedDaemonReload -- UNIT -.mount` prints one
 * `NeedDaemonReload=…` block per unit (`yes` alone with `--value`, which systemd before 230 lacks,
 * hence the key=value form is probed and both are read). The root mount has no unit file of its
 * own: where it needs a reload too, the flag is the manager's (systemd 255 sets it for every unit
 * after an enable or disable over D-Bus not followed by a reload; snapd does that), not this unit's.
 */
export function daemonReloadState(section: string): 'no' | 'unit' | 'manager' {
  // A block holds other properties too (ActiveState, a slice's DropInPaths), in systemd's order, not the probe's.
  const [unit, root] = showBlocks(section).map((lines) => lines.some((l) => l.replace(/^NeedDaemonReload=/, '') === 'yes'));
  return unit ? (root ? 'manager' : 'unit') : 'no';
}

/**
 * The unit's ActiveState (`active`, `inactive`, `failed`, `activating`, …: the words `systemctl
 * is-active` prints) from the first block of the probe's `systemctl show`; empty where systemctl
 * printed nothing (no systemd to ask).
 */
export function unitActiveState(section: string): string {
  const line = showBlocks(section)[0]?.find((l) => l.startsWith('ActiveState='));
  return line?.slice('ActiveState='.length) ?? '';
}

/** `systemctl show` output for several units: one block of trimmed lines per unit. */
function showBlocks(section: string): string[][] {
  return section
    .trim()
    .split(/\n\s*\n/)
    .map((block) => block.split('\n').map((l) => l.trim()));
}

/**
 * The drop-ins that override a slice's limits behind gridops' back (the first block's
 * `DropInPaths=`): `systemctl set-property` writes them under /etc/systemd/system.control (or
 * /run, with --runtime), and an operator's grid.slice.d files count too. Vendor ones (/usr/lib,
 * /lib) and gridops' own (`gridops-*`) are not someone's change of the limits.
 */
export function overridingDropIns(section: string): string[] {
  const line = showBlocks(section)[0]?.find((l) => l.startsWith('DropInPaths='));
  const paths = line?.slice('DropInPaths='.length).split(/\s+/).filter((p) => p !== '') ?? [];
  return paths.filter((p) => !/^\/(usr\/)?lib\//.test(p) && !/\/gridops-[^/]*$/.test(p));
}

/** A systemd unit: its file, whether it is enabled, and whether it runs. daemon-reload runs once per batch of unit changes. */
export class SystemdUnitResource implements Resource<SystemdUnitChange> {
  readonly kind = 'systemd-unit' as const;
  readonly ignoresFacts = true as const;
  readonly id: string;
  /** The unit's name, e.g. `gridagent.service`. */
  readonly unit: string;
  private readonly path: string;
  /** The unit file: a `file` or `line` on it too would undo what this entry writes (engine/overlapping-writes.ts). */
  readonly writes: readonly string[];
  private readonly content: Buffer;
  private readonly isSlice: boolean;

  constructor(
    private readonly spec: { unit: string; content: string; enabled?: boolean; started?: boolean; notify?: string[]; restartedByHandler?: boolean },
  ) {
    this.id = resourceId.systemdUnit(spec.unit);
    this.unit = spec.unit;
    this.path = `/etc/systemd/system/${spec.unit}`;
    this.writes = [this.path];
    this.content = Buffer.from(spec.content);
    this.isSlice = spec.unit.endsWith('.slice');
  }

  probe(): string {
    const u = quote(this.spec.unit);
    // NeedDaemonReload: a file that landed while its daemon-reload failed (a run that stopped there)
    // reads as in place, yet systemd still runs the old definition; the plan reloads and restarts.
    // `is-enabled` stays a call of its own: `show`'s UnitFileState is what systemd cached when it
    // loaded the unit, and misses an enablement link moved by hand since (seen on systemd 252).
    // ActiveState is live, so it comes with the reload flag, one `systemctl` (a process and a call
    // to systemd) fewer per unit than `is-active` beside it.
    return probeSections(
      fileProbe(this.path),
      `systemctl is-enabled -- ${u} 2>/dev/null || true`,
      // A slice's drop-ins too, in the same call (no exec more): they override its limits (overridingDropIns).
      `systemctl show -p ActiveState -p NeedDaemonReload${this.isSlice ? ' -p DropInPaths' : ''} -- ${u} -.mount 2>/dev/null || true`,
    );
  }

  diff(stdout: string): SystemdUnitChange | null {
    const [filePart = '', enabledPart = '', showPart = ''] = splitProbeSections(stdout);
    const file = parseFileState(filePart);
    const enabledState = enabledPart.trim();
    const enabled = enabledState === 'enabled';
    const activeState = unitActiveState(showPart);
    const active = activeState === 'active';
    const steps: SystemdUnitChange['steps'] = [];
    const fields: FieldChange[] = [];
    const contentChanged = file.sha256 !== sha256(this.content);
    if (contentChanged) (steps.push('write'), fields.push({ name: 'unit file', before: file.exists ? `sha256:${file.sha256?.slice(0, 12)}` : null, after: `sha256:${sha256(this.content).slice(0, 12)}` }));
    // A mode alone (a chmod 0600 by hand) is no new definition: a chmod, with no restart and no
    // handler, or every agent of a sub-grid would restart at once for it.
    else if (file.mode !== UNIT_MODE) (steps.push('chmod'), fields.push({ name: 'mode', before: file.mode ?? null, after: UNIT_MODE }));
    // The file on disk, whether this run writes it or an earlier one did and its daemon-reload (or
    // the run) stopped there, is not the definition systemd runs: reload it, then restart below.
    // Where systemd says so of every unit (daemonReloadState: the manager's flag), the reload is all:
    // restarting every managed unit (every agent of a grid at once) would not be for their files.
    const reload = contentChanged ? 'no' : daemonReloadState(showPart);
    if (reload !== 'no') (steps.push('daemon-reload'), fields.push({ name: 'definition', before: reload === 'manager' ? 'not reloaded (every unit: systemd)' : 'not reloaded', after: 'reloaded' }));
    const definitionChanged = contentChanged || reload === 'unit';
    const wantEnabled = this.spec.enabled ?? true;
    const wantStarted = this.spec.started ?? true;
    // Listed in the order apply runs them: start or restart, then enable or disable, then stop.
    const enabling = () => {
      if (wantEnabled !== enabled && !FIXED_STATES.has(enabledState)) (steps.push(wantEnabled ? 'enable' : 'disable'), fields.push({ name: 'enabled', before: enabledPart.trim() || 'unknown', after: wantEnabled ? 'enabled' : 'disabled' }));
    };
    if (wantStarted && !active) (steps.push('start'), fields.push({ name: 'active', before: activeState || 'unknown', after: 'active' }), enabling());
    // A slice takes new limits at daemon-reload; restarting it would stop everything running in it.
    // An entry that notifies a handler restarting this unit (restarts-unit.ts) leaves the restart to
    // it (handlers run once, after the host's changes): its own restart as well would restart the
    // unit twice when a file its handler restarts it for changed too (gridagent's bundle and unit).
    else if (wantStarted && active && definitionChanged && !this.spec.unit.endsWith('.slice') && !this.spec.restartedByHandler) (steps.push('restart'), fields.push({ name: 'active', before: 'active', after: 'restarted' }), enabling());
    else if (!wantStarted && active) (enabling(), steps.push('stop'), fields.push({ name: 'active', before: 'active', after: 'inactive' }));
    else enabling();
    // Never deleted: they are the operator's. Said in the plan, as a note where nothing else changes.
    const overrides = this.isSlice ? overridingDropIns(showPart) : [];
    const overridden = overrides.length ? `${this.spec.unit}'s limits are overridden by ${overrides.join(', ')} (not gridops'; systemctl set-property writes such files): remove ${overrides.length > 1 ? 'them' : 'it'} and run systemctl daemon-reload for the topology's limits to hold` : '';
    if (steps.length === 0) {
      if (!overridden) return null;
      return { kind: 'systemd-unit', id: this.id, action: 'none', unit: this.spec.unit, contentSha256: sha256(this.content), steps: [], fields: [], summary: overridden };
    }
    return {
      kind: 'systemd-unit',
      id: this.id,
      action: file.exists ? 'update' : 'create',
      unit: this.spec.unit,
      contentSha256: sha256(this.content),
      steps,
      fields,
      summary: `${steps.join(', ')} ${this.spec.unit}${overridden ? `; ${overridden}` : ''}`,
      diff: contentChanged ? contentDiff(this.path, file.content, this.content) : undefined,
      // Only a new definition: an enable, start, stop or chmod alone is no reason to run a restart handler.
      notify: definitionChanged ? this.spec.notify : undefined,
    };
  }

  async apply(change: SystemdUnitChange, recorder: StepRecorder): Promise<void> {
    // `--` before the unit in every systemctl call: a unit name may start with `-` (`-.mount`, the
    // root mount), which systemctl would otherwise read as options.
    const u = quote(this.spec.unit);
    if (change.steps.includes('write')) {
      await recorder.write(this.path, this.content, UNIT_MODE, { check: verifyUnit(this.spec.unit), checkName: 'systemd-analyze verify' });
      recorder.unitFileChanged();
    }
    if (change.steps.includes('chmod')) await fixAttributes(recorder, this.path, { mode: UNIT_MODE }, new Set(['mode']));
    if (change.steps.includes('daemon-reload')) recorder.unitFileChanged();
    await recorder.reloadSystemdIfNeeded();
    // Start or restart before enable: an enable that then fails (an Alias= another unit holds, a
    // D-Bus timeout) leaves the service running its new definition, and the re-run plans the enable
    // alone. Neither needs the other: enable only makes the [Install] links read at boot.
    // A service that was stopped when planned but runs by now (something earlier in the batch
    // started it: a unit that wants it, a command) is restarted, so that it does not keep the files
    // it read before this batch placed the new ones: no restart handler follows a start
    // (engine/restart-covered-by-start.ts). Only a service, and only one that runs: `restart` of a
    // stopped unit also restarts the running units that require it, a slice's restart takes down
    // the work in it (the sandbox VM, started in grid.slice before qos starts the slice), and a
    // RefuseManualStop= unit refuses it.
    if (change.steps.includes('start')) {
      const start = this.spec.unit.endsWith('.service') ? `if systemctl is-active -q -- ${u}; then systemctl restart -- ${u}; else systemctl start -- ${u}; fi` : `systemctl start -- ${u}`;
      await recorder.run(start, `start ${this.spec.unit}`);
    }
    if (change.steps.includes('restart')) await recorder.run(`systemctl restart -- ${u}`, `restart ${this.spec.unit}`);
    if (change.steps.includes('enable')) await recorder.run(`systemctl enable -- ${u}`, `enable ${this.spec.unit}`);
    if (change.steps.includes('disable')) await recorder.run(`systemctl disable -- ${u}`, `disable ${this.spec.unit}`);
    if (change.steps.includes('stop')) await recorder.run(`systemctl stop -- ${u}`, `stop ${this.spec.unit}`);
  }
}

/**
 * `systemd-analyze verify` of the temp file under the unit's own name (verify takes the unit
 * type from the suffix): refuses a file systemd cannot load, such as a bad section header or an
 * ExecStart that is not executable; unknown keys are only warnings. Skipped where the tool is missing.
 */
function verifyUnit(unit: string): string {
  return [
    'command -v systemd-analyze >/dev/null || exit 0',
    'd=$(mktemp -d) || exit 1',
    `cp "$t" "$d"/${quote(unit)} && systemd-analyze verify "$d"/${quote(unit)}; r=$?`,
    'rm -rf "$d"',
    'exit $r',
  ].join('\n');
}
