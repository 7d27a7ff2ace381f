import type { AbsentUnitChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import type { Resource } from './resource.js';
import type { StepRecorder } from './step-recorder.js';
import { resourceId } from './resource-id.js';

/**
 * A systemd unit gridops installed, removed: stopped (its own stop path, so gridagent's SIGTERM
 * hands a super peer's role over before it exits), disabled, its file deleted, systemd reloaded.
 */
export class AbsentUnitResource implements Resource<AbsentUnitChange> {
  readonly kind = 'absent-unit' as const;
  readonly id: string;
  private readonly path: string;

  /**
   * `prestop`: a command run before the stop while the unit is active (gridagent's `leave`, so a
   * decommissioned node leaves for good instead of looking like a restart). If it fails, the
   * removal stops there, the unit still running: a running agent whose leave could not be recorded
   * is still a member of the grid, and removing it would drop a member as if it had left. The
   * command says itself which failures may not hold the removal (the reset playbook's lets an agent
   * that is down be removed: removal must not depend on the thing being removed).
   */
  constructor(
    readonly unit: string,
    private readonly prestop?: string,
  ) {
    if (!/^[A-Za-z0-9@._-]+\.(service|socket|timer|slice|target|path|mount)$/.test(unit)) throw new RangeError(`not a unit name: ${unit}`);
    this.id = resourceId.absentUnit(unit);
    this.path = `/etc/systemd/system/${unit}`;
  }

  probe(): string {
    const u = quote(this.unit);
    return probeSections(`systemctl is-active -- ${u} 2>/dev/null || true`, `systemctl is-enabled -- ${u} 2>/dev/null || true`, `[ -e ${quote(this.path)} ] && echo present || echo absent`);
  }

  diff(stdout: string): AbsentUnitChange | null {
    const [active = '', enabled = '', file = ''] = splitProbeSections(stdout).map((s) => s.trim());
    const steps: AbsentUnitChange['steps'] = [];
    if (active === 'active' || active === 'activating' || active === 'reloading') steps.push('stop');
    if (enabled === 'enabled') steps.push('disable');
    if (file === 'present') steps.push('remove');
    if (steps.length === 0) return null;
    return { kind: 'absent-unit', id: this.id, action: 'delete', unit: this.unit, steps, summary: `${steps.join(', ')} ${this.unit}`, fields: [{ name: 'unit', before: [active, enabled].filter(Boolean).join(', '), after: null }] };
  }

  async apply(change: AbsentUnitChange, recorder: StepRecorder): Promise<void> {
    // `--`: a unit name may start with `-` (`-.mount`), which systemctl would read as options.
    const u = quote(this.unit);
    if (change.steps.includes('stop')) {
      // A subshell, so that the command's own `exit`, `cd` or `set` stays in it; the newline ends a comment it ends with.
      if (this.prestop) await recorder.run(`( ${this.prestop}
)`, `before stopping ${this.unit}`);
      await recorder.run(`systemctl stop -- ${u}`, `stop ${this.unit}`);
    }
    if (change.steps.includes('disable')) await recorder.run(`systemctl disable -- ${u}`, `disable ${this.unit}`);
    if (change.steps.includes('remove')) {
      await recorder.run(`rm -f -- ${quote(this.path)}`, `remove ${this.path}`);
      recorder.unitFileChanged();
      await recorder.reloadSystemdIfNeeded();
    }
  }
}
