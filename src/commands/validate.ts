import { Args } from '@oclif/core';
import { GridopsCommand } from '../base-command.js';
import { ValidationError } from '../errors/index.js';
import { topologyPlaybookProblems } from '../phases/workflow-playbooks.js';
import { checkTopologyFile } from '../topology/load.js';
import { formatProblem, type Problem } from '../errors/problem.js';
import { summarise, type GridSummary } from '../topology/summary.js';

export type ValidateResult = { file: string; valid: true; warnings: Problem[] } & GridSummary;

export default class Validate extends GridopsCommand<ValidateResult> {
  static override summary = 'Check a topology file without touching any host';
  static override description = 'Prints every problem as FILE:LINE:COLUMN: message, with a hint, and exits 1; exits 0 with a one-line summary when the file is valid. Warnings (a valid grid that probably is not what you want, such as a sub-grid that cannot fail over, or a setting gridops does not apply yet) are printed the same way and do not change the exit code.';
  static override examples = ['<%= config.bin %> validate examples/small.yaml', '<%= config.bin %> validate topology.yaml --json'];
  static override args = { file: Args.string({ required: true, description: 'topology file (YAML)' }) };

  async run(): Promise<ValidateResult> {
    const { args } = await this.parse(Validate);
    const { grid, problems, warnings } = await checkTopologyFile(args.file);
    if (!grid) throw new ValidationError(problems, args.file);
    // The topology's own playbooks are part of it: one that does not load is a problem at the line naming it.
    const playbookProblems = topologyPlaybookProblems(grid);
    if (playbookProblems.length) throw new ValidationError(playbookProblems, args.file);
    const summary = summarise(grid);
    if (!this.jsonEnabled()) for (const w of warnings) process.stderr.write(`${formatProblem({ ...w, message: `warning: ${w.message}` })}\n`);
    this.say(`${args.file}: valid: ${summary.text}${warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}`);
    return { file: args.file, valid: true, warnings, ...summary };
  }
}
