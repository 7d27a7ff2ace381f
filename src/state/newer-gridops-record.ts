import { newerThanThisGridops } from '../version-order.js';
import type { HostState } from './state.js';

/**
 * Whether a gridops newer than this one wrote `record`: the one rule of which hosts a newer gridops
 * touched, shared by the refusal to plan over them (phases/newer-gridops-state.ts) and status
 * (syncState's `newer-gridops`), so that status never advises, for a host it names, an apply the
 * refusal stops. Whatever the record's outcome: a failed run stamps its gridops too, a first one
 * included (phases/host-record.ts), since it may have done some of its changes; a skipped run keeps
 * the gridops before it.
 */
export function writtenByNewerGridops(record: HostState): boolean {
  return newerThanThisGridops(record.gridopsVersion);
}
