import { readFile } from 'node:fs/promises';
import { printableValue } from '../text/printable-json.js';
import { InputFileError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { PLAN_FORMAT, type Plan } from './plan.js';
import { firstBadPlanField } from './saved-plan-shape.js';

const MAKE_ONE = 'create one with `gridops plan TOPOLOGY --out plan.json`';

export async function savePlan(file: string, plan: Plan): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(plan, null, 2)}\n`, 0o600);
}

export async function loadPlan(file: string): Promise<Plan> {
  let plan: Plan;
  try {
    plan = JSON.parse(await readFile(file, 'utf8')) as Plan;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'it is a directory' : code === 'ENOENT' ? 'it does not exist' : (err as Error).message;
    throw new InputFileError(`cannot read plan ${file}: ${why}`, MAKE_ONE, { cause: err });
  }
  if (plan?.format !== PLAN_FORMAT) throw new InputFileError(`${file} is not a gridops plan (format ${printableValue(plan?.format)})`, MAKE_ONE);
  // Checked here, before any phase: apply --plan would otherwise take the lock and connect to every host first.
  const bad = firstBadPlanField(plan);
  if (bad) throw new InputFileError(`${file} is not a complete gridops plan: ${bad}`, `a saved plan is not edited by hand: make it again with \`gridops plan TOPOLOGY --out ${file}\``);
  return plan;
}
