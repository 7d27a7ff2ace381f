import type { Change, SystemdUnitChange } from '../plan/change.js';
import type { Handler } from '../playbooks/instantiate.js';
import { onlyRestartsUnit } from '../resources/restarts-unit.js';

/** States of a unit with no process of it running: a start runs a new one, which reads the files in place then. */
const NOT_RUNNING = new Set(['inactive', 'failed']);

/**
 * The handlers a host's plan need not run because the same batch starts the unit they restart: a
 * unit that was not running, started by its own entry after every change that notifies the handler
 * (the agent's first install: bundle, config, key and unit written, then `systemctl start`). Its
 * process then reads what those changes put in place, and a restart right after would only stop
 * it and start another, which for gridagent means a second start one second after the first,
 * leaving in the middle of its sub-grid's first election (its vote, or the quorum of the one it
 * voted for, gone for a moment). Ansible restarts twice there; a handler owed by a failed run is
 * kept (it may be owed for another reason), as is one notified by a change after the start.
 */
export function restartsCoveredByStart(changes: readonly Change[], handlers: readonly Handler[], planned: readonly string[], owed: readonly string[]): Set<string> {
  const covered = new Set<string>();
  changes.forEach((change, at) => {
    if (!startsStoppedUnit(change)) return;
    for (const name of planned) {
      const handler = handlers.find((h) => h.name === name);
      if (!handler || owed.includes(name) || !onlyRestartsUnit(handler.command, change.unit)) continue;
      const notifiedAfter = changes.some((c, i) => i > at && c.notify?.includes(name));
      if (!notifiedAfter) covered.add(name);
    }
  });
  return covered;
}

function startsStoppedUnit(change: Change): change is SystemdUnitChange {
  if (change.kind !== 'systemd-unit' || !change.steps.includes('start')) return false;
  const before = change.fields.find((f) => f.name === 'active')?.before;
  return typeof before === 'string' && NOT_RUNNING.has(before);
}
