import { inspect } from 'node:util';

/**
 * A value a change carries from plan to apply in memory that no form of the plan shows: JSON
 * (`plan --out`, `--json`, the `--log-file` record) leaves it out, and inspection prints a
 * placeholder. For what may hold secrets the plan never names, such as the whole file a `line`
 * edits. A saved plan does not need it: `apply --plan` applies a fresh plan, compared with the
 * saved one by content hashes (phases/check-saved-plan.ts).
 */
export class Unshown<T> {
  constructor(readonly value: T) {}

  /** `undefined`: JSON.stringify then leaves out the property that holds it. */
  toJSON(): undefined {
    return undefined;
  }

  [inspect.custom](): string {
    return '[not shown]';
  }
}
