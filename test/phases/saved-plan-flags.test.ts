import { UsageError } from '../../src/errors/index.js';
import { runApply } from '../../src/phases/apply.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { savedPlan } from '../cli/saved-plan-fixture.js';
import { localRunOptions } from '../support/local-run.js';

/**
 * A saved plan fixes its playbooks and nodes: a run given others would apply what nobody reviewed.
 * The command checked its --playbook and --limit against the plan, and a library caller of
 * runApply skipped that (review s45 5); the apply workflow checks them now, first of all.
 */
// No such topology: a run that gets past the check stops there, before any connection.
const topologyFile = 'no/such/grid.yaml';
const run = (extra: Partial<ApplyOptions>) => runApply(localRunOptions({ topologyFile, playbooks: undefined }, extra));

describe('runApply with a saved plan checks the playbooks and nodes it is given against the plan', () => {
  it('a limit other than the plan\'s is refused, naming the nodes the plan was made for', async () => {
    const refused = run({ savedPlan: { ...savedPlan(), limit: ['n1', 'web-*'] }, limit: ['n2'] });
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow('--limit n2 does not match the saved plan, which was made with --limit n1,web-*');
    // No limit is every node: not what a plan made for some was reviewed for.
    await expect(run({ savedPlan: { ...savedPlan(), limit: ['n1'] } })).rejects.toThrow('no --limit (every node) does not match the saved plan, which was made with --limit n1');
  });

  it('playbooks other than the plan\'s are refused', async () => {
    await expect(run({ savedPlan: savedPlan(), playbooks: ['agent'] })).rejects.toThrow("--playbook agent does not match the saved plan, which was made for the grid's workflow (no --playbook)");
    await expect(run({ savedPlan: { ...savedPlan(), adHocPlaybooks: true, playbooks: ['agent'] } })).rejects.toThrow("no --playbook (the grid's workflow) does not match the saved plan, which was made with --playbook agent");
  });

  it('the plan\'s own limit (in any order) and playbooks go on to the run', async () => {
    await expect(run({ savedPlan: { ...savedPlan(), limit: ['n1', 'web-*'] }, limit: ['web-*', 'n1'] })).rejects.toThrow(`topology file ${topologyFile} does not exist`);
    await expect(run({ savedPlan: { ...savedPlan(), adHocPlaybooks: true, playbooks: ['agent'] }, playbooks: ['agent'] })).rejects.toThrow(`topology file ${topologyFile} does not exist`);
  });
});
