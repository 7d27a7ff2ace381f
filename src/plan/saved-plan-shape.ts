import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { valueErrorSentence } from '../agent/value-error-sentence.js';
import type { ChangeKind } from './change.js';
import { PLAN_FORMAT } from './plan.js';

/**
 * The parts of a saved plan (plan --out) that `show` and `apply --plan` read without checking:
 * a plan damaged or edited by hand is refused when it is loaded, naming its first bad field,
 * rather than failing with a TypeError, or after apply took the lock and connected to every host.
 * Keys beyond these are left free: the fields of each change kind are compared with a fresh plan
 * by apply (check-saved-plan.ts), and optional sections only add lines to what is shown.
 */

/** Every change kind (ChangeKind): a misspelt kind would otherwise match no resource and be dropped unseen. */
const CHANGE_KINDS = [
  'file', 'directory', 'line', 'package', 'kernel-module', 'sysctl', 'systemd-unit', 'command', 'egress-limit', 'sandbox-egress',
  'libvirt-network', 'libvirt-pool', 'sandbox-image', 'sandbox-disk', 'sandbox-domain', 'absent-paths', 'absent-unit', 'absent-libvirt',
] as const satisfies readonly ChangeKind[];
// The list must name every kind: a kind added to change.ts without it fails the build here.
const everyKindListed: Exclude<ChangeKind, (typeof CHANGE_KINDS)[number]> extends never ? true : false = true;
void everyKindListed;

const Strings = Type.Array(Type.String());
const FieldChange = Type.Object({ name: Type.String(), before: Type.Union([Type.String(), Type.Null()]), after: Type.Union([Type.String(), Type.Null()]) });
const Change = Type.Object({
  kind: Type.Union(CHANGE_KINDS.map((kind) => Type.Literal(kind))),
  id: Type.String(),
  action: Type.Union(['create', 'update', 'delete', 'run', 'none'].map((action) => Type.Literal(action))),
  summary: Type.String(),
  fields: Type.Array(FieldChange),
  diff: Type.Optional(Type.String()),
  notify: Type.Optional(Strings),
});
const HostPlan = Type.Object({
  host: Type.String(),
  address: Type.String(),
  playbooks: Strings,
  changes: Type.Array(Change),
  notes: Type.Array(Change),
  handlers: Strings,
  handlerCommands: Type.Optional(Type.Record(Type.String(), Type.String())),
  pendingHandlers: Type.Optional(Strings),
  error: Type.Optional(Type.Object({ kind: Type.Union([Type.Literal('unreachable'), Type.Literal('planning')]), message: Type.String(), hint: Type.Optional(Type.String()) })),
  decommission: Type.Optional(Type.Boolean()),
  unrecorded: Type.Optional(Type.Boolean()),
  renamedFrom: Type.Optional(Strings),
});
const SavedPlan = Type.Object({
  format: Type.Literal(PLAN_FORMAT),
  createdAt: Type.String(),
  gridopsVersion: Type.String(),
  topology: Type.Object({ file: Type.String(), grid: Type.String(), sourceHash: Type.String() }),
  playbooks: Strings,
  adHocPlaybooks: Type.Boolean(),
  hosts: Type.Array(HostPlan),
  limit: Type.Optional(Strings),
  allowOlderGridops: Type.Optional(Type.Literal(true)),
});

/** The first field of `value` that a saved plan cannot have, as `hosts[0].host is missing (a string)`; null when its shape is sound. */
export function firstBadPlanField(value: unknown): string | null {
  if (Value.Check(SavedPlan, value)) return null;
  // TypeBox reports a union's branches apart after the union itself: the first error is the outermost.
  const first = Value.Errors(SavedPlan, value).First();
  return first ? valueErrorSentence(first) : null;
}
