import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { valueErrorSentence } from '../agent/value-error-sentence.js';

/** The outcomes a host record may name: HostState's `lastOutcome` (state.ts) is one of these. */
export const HOST_OUTCOMES = ['applied', 'unchanged', 'failed', 'skipped'] as const;

// Each schema's `description` is what a refusal says the field should be (`FIELD must be DESCRIPTION, not VALUE`).
const Strings = (what: string) => Type.Array(Type.String(), { description: what });
const AnObject = Type.Object({}, { description: 'an object' });
const Time = (what: string) => Type.String({ description: what });

/**
 * A recorded node's settings: only the sections decommission and the retired-* sweeps read into
 * without a guard. Their values are the topology's, checked when it was loaded.
 */
const RecordedSettings = Type.Object(
  { ssh: AnObject, kernel: AnObject, hypervisor: Type.Object({ sandbox: AnObject }, { description: 'an object' }), qos: AnObject, agent: AnObject },
  { description: 'an object' },
);

const RecordedNode = Type.Object(
  {
    address: Type.String({ description: 'a string' }),
    region: Type.String({ description: 'a string' }),
    subgrid: Type.String({ description: 'a string' }),
    user: Type.String({ description: 'a string' }),
    port: Type.Number({ description: 'a port' }),
    settings: Type.Optional(RecordedSettings),
    sshWritten: Type.Optional(Strings('a list of settings')),
  },
  { description: 'an object' },
);

const KernelEntries = Type.Object(
  { sysctl: Strings('a list of sysctl keys'), modules: Strings('a list of modules'), adHoc: Type.Optional(Type.Literal(true, { description: 'true' })) },
  { description: 'an object of sysctl and module lists' },
);

/**
 * One host's record in a state file, as HostState (state.ts) has it: every field the code reads,
 * of its type, and optional exactly where HostState's is (absent from older states); state.ts
 * checks at compile time that the two agree. Keys beyond these are left free.
 */
export const HostRecord = Type.Object(
  {
    topologyHash: Type.String({ description: 'a string' }),
    playbooks: Strings('a list of playbooks'),
    gridopsVersion: Type.String({ description: 'a string' }),
    agentVersion: Type.Union([Type.String(), Type.Null()], { description: 'a version or null' }),
    appliedAt: Time('a time or ""'),
    changesApplied: Type.Integer({ minimum: 0, description: 'a count' }),
    lastOutcome: Type.Union(HOST_OUTCOMES.map((outcome) => Type.Literal(outcome))),
    lastRunAt: Type.Optional(Time('a time')),
    lastError: Type.Optional(Type.String({ description: 'a string' })),
    pendingHandlers: Type.Optional(Strings('a list of handlers')),
    sandboxMade: Type.Optional(Type.Union([Type.Null(), Type.Object({ network: Type.String() })], { description: 'null or an object with a network' })),
    electorate: Type.Optional(Type.Object({ subgrid: Type.Optional(Strings('a list of nodes')), region: Type.Optional(Strings('a list of nodes')) }, { description: 'an object of node lists' })),
    kernelEntries: Type.Optional(Type.Record(Type.String(), KernelEntries, { description: 'an object of sysctl and module lists by playbook' })),
    node: Type.Optional(RecordedNode),
  },
  { description: 'an object' },
);

/**
 * What is wrong with one host's record in a state file, said as `FIELD must be WHAT, not VALUE` or
 * `FIELD is missing (WHAT)` (valueErrorSentence), or undefined when it has every field the code
 * reads, of its type. Checked when the state is read, since plan, status and decommission read
 * these fields without a guard: an edited or damaged record (`{}`, `null`) otherwise ended every
 * command with a bare TypeError.
 */
export function hostRecordProblem(record: unknown): string | undefined {
  if (Value.Check(HostRecord, record)) return undefined;
  // TypeBox reports a union's branches apart after the union itself: the first error is the outermost.
  const first = Value.Errors(HostRecord, record).First();
  return first && valueErrorSentence(first);
}
