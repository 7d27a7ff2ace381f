import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { GroupPersistentState, PersistentState, RegionSlot, View } from '../core/types.js';
import { valueErrorSentence } from '../value-error-sentence.js';

// Each schema's `description` is what a refusal says the field should be (`FIELD must be DESCRIPTION, not VALUE`).
const Count = Type.Integer({ minimum: 0, description: 'a whole number' });
const Name = Type.String({ description: 'a string' });

const Peer = Type.Object({ name: Name, addr: Type.Optional(Name), slot: Type.Optional(Name) }, { description: 'a voter' });

/** A view's own fields; a region slot's view is one of these (a region view holds no slot of its own). */
const viewFields = {
  term: Count,
  version: Count,
  voters: Type.Array(Peer, { description: 'a list of voters' }),
  oldVoters: Type.Optional(Type.Array(Peer, { description: 'a list of voters' })),
  regionBallot: Type.Optional(Name),
  regionJoined: Type.Optional(Type.Boolean({ description: 'true or false' })),
};
const RegionView = Type.Object(viewFields, { description: 'a view' });
const RegionSlotSchema = Type.Object(
  { term: Count, votedFor: Type.Union([Name, Type.Null()], { description: 'a name or null' }), view: Type.Union([RegionView, Type.Null()], { description: 'a view or null' }) },
  { description: 'a region slot' },
);
const ViewSchema = Type.Object({ ...viewFields, regionSlot: Type.Optional(RegionSlotSchema) }, { description: 'a view' });

const Group = Type.Object(
  {
    term: Count,
    votedFor: Type.Union([Name, Type.Null()], { description: 'a name or null' }),
    view: Type.Union([ViewSchema, Type.Null()], { description: 'a view or null' }),
    joined: Type.Boolean({ description: 'true or false' }),
    bootstrapVote: Type.Optional(Type.Object({ term: Count, to: Name }, { description: 'a vote' })),
  },
  { description: 'an object' },
);

/**
 * The state file as writeStateFile writes it: the boot epoch, and the protocol state of both tiers
 * (PersistentState) or none yet. `state` may be absent: a file restored by hand with the epoch alone
 * is a node with no protocol state. Keys beyond these are left free; every field added since the
 * first agents is optional, as the type has it, so their files read as written.
 */
const StateFile = Type.Object(
  {
    epoch: Count,
    state: Type.Optional(Type.Union([Type.Object({ subgrid: Group, region: Group }, { description: 'an object' }), Type.Null()], { description: 'an object or null' })),
  },
  { description: 'an object' },
);

// The check must follow the core's types: a field added, dropped or made optional there without it
// here fails the build on these lines (as src/state/state.ts does for the CLI's host records).
type CheckedGroup = Static<typeof Group>;
type CheckedView = Static<typeof ViewSchema>;
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Every state the agent writes reads back. */
const everyWrittenStatePasses: PersistentState extends NonNullable<Static<typeof StateFile>['state']> ? true : false = true;
const everyGroupFieldChecked: Same<keyof GroupPersistentState, keyof CheckedGroup> = true;
const groupOptionalWhereTheTypeIs: Same<OptionalKeys<GroupPersistentState>, OptionalKeys<CheckedGroup>> = true;
const everyViewFieldChecked: Same<keyof View, keyof CheckedView> = true;
const viewOptionalWhereTheTypeIs: Same<OptionalKeys<View>, OptionalKeys<CheckedView>> = true;
const everySlotFieldChecked: Same<keyof RegionSlot, keyof NonNullable<CheckedView['regionSlot']>> = true;
void [everyWrittenStatePasses, everyGroupFieldChecked, groupOptionalWhereTheTypeIs, everyViewFieldChecked, viewOptionalWhereTheTypeIs, everySlotFieldChecked];

/**
 * What is wrong with a parsed state file, said as `FIELD must be WHAT, not VALUE` or `FIELD is
 * missing (WHAT)` (valueErrorSentence), or undefined when it is as an agent writes it. Checked at
 * start, since the core reads every field without a guard: a missing tier was a fresh node
 * (forgetting its term and vote), a view that is not one a TypeError.
 */
export function stateFileProblem(parsed: unknown): string | undefined {
  if (Value.Check(StateFile, parsed)) return undefined;
  const first = firstError(StateFile, parsed, '');
  return first && valueErrorSentence(first);
}

/**
 * The outermost error, but inside an object or null: TypeBox reports the union first (`state must
 * be an object or null, not {...}`), where the field to name is the one inside the object that is wrong.
 */
function firstError(schema: TSchema, value: unknown, prefix: string): { path: string; schema: TSchema; value: unknown } | undefined {
  const first = Value.Errors(schema, value).First();
  if (!first) return undefined;
  const objectBranch = (first.schema.anyOf as TSchema[] | undefined)?.find((branch) => branch.type === 'object');
  if (objectBranch && typeof first.value === 'object' && first.value !== null && !Array.isArray(first.value)) {
    return firstError(objectBranch, first.value, prefix + first.path) ?? { ...first, path: prefix + first.path };
  }
  return { path: prefix + first.path, schema: first.schema, value: first.value };
}
