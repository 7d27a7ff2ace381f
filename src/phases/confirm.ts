import { ConfirmationRefusedError, PlanningError } from '../errors/index.js';
import { hasChanges } from '../plan/plan.js';
import { plural } from '../plural.js';
import type { Phase } from './phase.js';

/**
 * DESIGN step 5: show the plan; refuse to go on when any host could not be planned (nothing
 * changes anywhere); then ask, unless `--yes` or a saved plan already was the confirmation.
 */
export const confirm: Phase = {
  title: 'show the plan and confirm',
  async run(ctx) {
    const { plan } = ctx;
    ctx.options.onPlan?.(plan);
    const planningErrors = plan.hosts.filter((h) => h.error?.kind === 'planning');
    if (planningErrors.length) {
      const first = planningErrors[0]!.error!;
      const others = planningErrors.length > 1 ? ` (and ${plural(planningErrors.length - 1, 'more host')}: ${planningErrors.slice(1).map((h) => h.host).join(', ')})` : '';
      // A host's error in the plan does not name the host (its entry does): this one line must.
      // Under --json no plan is printed above: the error carries each host's problem instead.
      const problems = planningErrors.map((h) => ({ host: h.host, message: h.error!.message, ...(h.error!.hint !== undefined ? { hint: h.error!.hint } : {}) }));
      throw new PlanningError(`${planningErrors[0]!.host}: ${first.message}${others}; nothing was changed`, first.hint ?? 'fix the problems listed above and run again', { hostProblems: problems });
    }
    if (!hasChanges(plan)) return;
    if (!(await ctx.options.confirm?.(plan))) throw new ConfirmationRefusedError(`${ctx.options.command ?? 'apply'} not confirmed; nothing was changed`, 'run again and answer yes, or pass --yes');
  },
};
