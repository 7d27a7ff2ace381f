import { Args } from '@oclif/core';
import { GridopsCommand } from '../base-command.js';
import { loadPlan } from '../plan/plan-file.js';
import type { Plan } from '../plan/plan.js';
import { renderPlan } from '../plan/render.js';
import { printableText } from '../text/printable-text.js';

export default class Show extends GridopsCommand<Plan> {
  static override summary = 'Show a saved plan (plan --out plan.json) as plan printed it';
  static override description = 'Reads the plan file only; connects to nothing. --json prints the plan itself.';
  static override examples = ['<%= config.bin %> show plan.json', '<%= config.bin %> show plan.json --json'];
  static override args = { plan: Args.string({ required: true, description: 'plan file written by `gridops plan --out`' }) };

  async run(): Promise<Plan> {
    const { args } = await this.parse(Show);
    const plan = await loadPlan(args.plan);
    // Every value in this line comes from the plan file: the line is escaped as a whole (its fixed
    // words hold no control characters), so a tampered plan cannot act on the terminal.
    this.say(printableText(`Plan for grid ${plan.topology.grid} from ${plan.topology.file} (sha256 ${plan.topology.sourceHash.slice(0, 12)}), made ${plan.createdAt} by gridops ${plan.gridopsVersion}; playbooks: ${plan.playbooks.join(', ')}${plan.limit ? `; --limit ${plan.limit.join(',')}` : ''}${plan.allowOlderGridops ? '; --allow-older-gridops (apply --plan needs it again)' : ''}`));
    this.say('');
    this.say(renderPlan(plan, { color: this.useColor() }));
    return plan;
  }
}
