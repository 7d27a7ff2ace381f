import { Args, Flags } from '@oclif/core';
import { GridopsCommand } from '../base-command.js';
import { playbookValue } from '../cli-flags.js';
import { checkRunInputs } from '../phases/check-inputs.js';
import { checkLocalFiles } from '../phases/local-files.js';
import { loadWorkflow } from '../phases/workflow-playbooks.js';
import { plural } from '../plural.js';
import { formatProblem, type Problem } from '../errors/problem.js';
import { allNodes } from '../topology/model.js';
import { summarise, type GridSummary } from '../topology/summary.js';

/**
 * `playbooks`: the --playbook playbooks checked beside the topology, as a saved plan names them;
 * `flagWarnings`: about those values (a name that is gridops' own playbook and a file here).
 */
export type ValidateResult = { file: string; valid: true; warnings: Problem[]; flagWarnings: string[]; playbooks: string[] } & GridSummary;

export default class Validate extends GridopsCommand<ValidateResult> {
  static override summary = 'Check a topology file, and the playbooks you will run with it, without touching any host';
  static override description =
    'Prints every problem as FILE:LINE:COLUMN: message, with a hint, and exits 1; exits 0 with a one-line summary when the file is valid. The topology\'s own playbooks are checked with it; --playbook checks ad-hoc playbooks as plan and apply --playbook load them. Warnings (a valid grid that probably is not what you want, such as a sub-grid that cannot fail over, or a setting gridops does not apply yet) are printed the same way and do not change the exit code.';
  static override examples = ['<%= config.bin %> validate examples/small.yaml', '<%= config.bin %> validate topology.yaml --playbook qos --playbook ./site.yaml', '<%= config.bin %> validate topology.yaml --json'];
  static override args = { file: Args.string({ required: true, description: 'topology file (YAML)' }) };
  static override flags = {
    // One value per flag, as plan's and apply's --playbook, so `--playbook x FILE` leaves FILE to the argument.
    playbook: Flags.string({ description: "also check this playbook (one of gridops' by name, or a file: ./site.yaml; repeatable), as `plan` and `apply --playbook` would load it", multiple: true, multipleNonGreedy: true, parse: playbookValue }),
  };

  async run(): Promise<ValidateResult> {
    const { args, flags } = await this.parse(Validate);
    // The topology, its own playbooks and every --playbook, checked at once: every problem in one run.
    const { grid, warnings, flagWarnings, loaded } = await checkRunInputs(args.file, { adHoc: flags.playbook, ownPlaybooks: 'always' });
    // The very loading plan and apply do before they connect: a playbook that fails here fails there.
    const adHoc = flags.playbook?.length ? loadWorkflow(grid, allNodes(grid), flags.playbook, loaded) : undefined;
    // The key and the images the run would read, as plan checks them: the grid's workflow's, or --playbook's
    // (with a problem elsewhere, checkRunInputs has reported them already, with the others).
    checkLocalFiles(grid, allNodes(grid), adHoc);
    const playbooks = adHoc?.refs ?? [];
    const summary = summarise(grid);
    if (!this.jsonEnabled()) {
      for (const w of warnings) process.stderr.write(`${formatProblem({ ...w, message: `warning: ${w.message}` })}\n`);
      for (const w of flagWarnings) process.stderr.write(`warning: ${w}\n`);
    }
    const warned = warnings.length + flagWarnings.length;
    const given = flags.playbook ?? [];
    const checked = given.length ? `; playbook${given.length === 1 ? '' : 's'} ${given.join(', ')} valid` : '';
    this.say(`${args.file}: valid: ${summary.text}${checked}${warned ? ` (${plural(warned, 'warning')})` : ''}`);
    return { file: args.file, valid: true, warnings, flagWarnings, playbooks, ...summary };
  }
}
