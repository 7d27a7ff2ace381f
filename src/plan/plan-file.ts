import { readFile } from 'node:fs/promises';
import { printableValue } from '../text/printable-json.js';
import { InputFileError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { PLAN_FORMAT, type Plan } from './plan.js';
import { firstBadPlanField } from './saved-plan-shape.js';
import { jsonSyntaxError } from '../text/json-syntax-error.js';
import { planCommand, type PlanCommandFlags } from './plan-command.js';

/**
 * The `gridops plan` that makes a plan at `file`; TOPOLOGY where the command has no topology
 * (`show`). A file not named .json may be a topology given in the wrong place: a hint followed as
 * written must not overwrite it, so that plan goes to plan.json.
 */
function makeAgain(file: string, topologyFile: string | undefined, run: PlanRunFlags): string {
  return planCommand(topologyFile ?? 'TOPOLOGY', /\.json$/i.test(file) ? file : 'plan.json', run);
}

/** What of the run at hand the `gridops plan` a refused plan file suggests carries (plan-command.ts). */
export type PlanRunFlags = Pick<PlanCommandFlags, 'stateDir' | 'askBecomePass'>;

export async function savePlan(file: string, plan: Plan): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(plan, null, 2)}\n`, 0o600);
}

/** The saved plan at `file`, refused (InputFileError) unless it is one; `topologyFile` and the run's flags, where known, go into the hint. */
export async function loadPlan(file: string, topologyFile?: string, run: PlanRunFlags = {}): Promise<Plan> {
  const again = makeAgain(file, topologyFile, run);
  const makeOneHint = `make one with \`${again}\``;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'it is a directory' : code === 'ENOENT' ? 'it does not exist' : (err as Error).message;
    throw new InputFileError(`cannot read plan ${file}: ${why}`, makeOneHint, { cause: err });
  }
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch (err) {
    throw new InputFileError(`${file} is not JSON (${jsonSyntaxError(text, (err as Error).message)})`, makeOneHint, { cause: err });
  }
  const notPlan = notAPlan(plan);
  if (notPlan) throw new InputFileError(`${file} is not a gridops plan: ${notPlan}`, makeOneHint);
  // Checked here, before any phase: apply --plan would otherwise take the lock and connect to every host first.
  const bad = firstBadPlanField(plan);
  if (bad) throw new InputFileError(`${file} is not a complete gridops plan: ${bad}`, `a saved plan is not edited by hand: make it again with \`${again}\``);
  return plan as Plan;
}

/** Why JSON `value` is no gridops plan at all (no format of ours); undefined where it says it is one. */
function notAPlan(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return `it holds ${printableValue(value)}, not an object with a format field`;
  if (Array.isArray(value)) return 'it holds a list, not an object with a format field';
  if (!('format' in value)) return 'it has no format field';
  const format = (value as { format: unknown }).format;
  return format === PLAN_FORMAT ? undefined : `its format is ${printableValue(format)}, not ${printableValue(PLAN_FORMAT)}`;
}
