import { readFile } from 'node:fs/promises';
import { InputFileError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { PLAN_FORMAT, type Plan } from './plan.js';

export async function savePlan(file: string, plan: Plan): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(plan, null, 2)}\n`, 0o600);
}

export async function loadPlan(file: string): Promise<Plan> {
  let plan: Plan;
  try {
    plan = JSON.parse(await readFile(file, 'utf8')) as Plan;
  } catch (err) {
    throw new InputFileError(`cannot read plan ${file}: ${(err as Error).message}`, 'create one with `gridops plan TOPOLOGY --out plan.json`', { cause: err });
  }
  if (plan?.format !== PLAN_FORMAT) throw new InputFileError(`${file} is not a gridops plan (format ${JSON.stringify(plan?.format)})`, 'create one with `gridops plan TOPOLOGY --out plan.json`');
  return plan;
}
